using System.Net;
using Helpline.Accounts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Queue;

/// <summary>
/// An open hub connection outlives the cookie's minute check: these dashboards, on the real SignalR
/// client, lose the live updates when their account is disabled or changed, and cannot reconnect.
/// </summary>
public sealed class RevokedLiveUpdatesTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _admin = null!;

    public async ValueTask InitializeAsync()
    {
        _app.Settings["Queue:ConnectionCheckSeconds"] = "1";
        await _app.CreateStaffAsync("admin@test.example", Roles.Admin);
        _admin = await _app.SignInAsync("admin@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ADisabledAdvisorsDashboardIsClosedAndCannotReconnectWhileAColleagueStaysLive()
    {
        var disabledId = await _app.AdvisorOnDutyAsync("leaving@test.example");
        await _app.AdvisorOnDutyAsync("staying@test.example");
        var leaving = await _app.SignInAsync("leaving@test.example");
        await using var leavingDashboard = new DashboardClient(leaving.Hub());
        await leavingDashboard.StartAsync();
        var closed = ClosedAsync(leavingDashboard.Connection);
        await using var stayingDashboard = new DashboardClient((await _app.SignInAsync("staying@test.example")).Hub());
        await stayingDashboard.StartAsync();

        var (_, html) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Disable&id={disabledId}", []);
        Assert.Contains("leaving@test.example is disabled", html);

        await closed.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => leaving.Hub().StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        Assert.Equal(HubConnectionState.Connected, stayingDashboard.Connection.State);
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");
        await QueueFlows.EventuallyAsync(() => stayingDashboard.Rows.ContainsKey(contact), "the caller on the colleague's dashboard");
        Assert.DoesNotContain(contact, leavingDashboard.Rows.Keys);

        Assert.Contains("staff.live-updates-closed leaving@test.example account disabled; 1 connection(s)", await AuditAsync());
        Assert.Contains(_app.Logs.Lines, l => l.Contains("Live queue updates closed for l•••@test.example") && l.Contains("account disabled"));
        Assert.DoesNotContain(_app.Logs.Lines, l => l.Contains("leaving@test.example") && l.Contains("Live queue updates closed"));
    }

    [Fact]
    public async Task ASupervisorWhoseSupervisorRoleIsRemovedLosesTheLiveUpdatesAndReconnectsAsAnAdvisor()
    {
        await _app.AdvisorOnDutyAsync();
        var supervisorId = await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        await using var wallboard = new DashboardClient(supervisor.Hub());
        await wallboard.StartAsync();
        var closed = ClosedAsync(wallboard.Connection);

        var (_, html) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Roles&id={supervisorId}", new() { ["roles"] = Roles.Advisor });
        Assert.Contains("supervisor@test.example: Advisor.", html);

        await closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("staff.live-updates-closed supervisor@test.example roles changed; 1 connection(s)", await AuditAsync());

        // Still staff: the dashboard comes back, with the new roles, and stays open past the next check.
        await using var again = new DashboardClient(supervisor.BrowserHub());
        await again.StartAsync();
        await CheckConnectionsNowAsync();
        Assert.Equal(HubConnectionState.Connected, again.Connection.State);
        var (contact, _) = await _app.CallerWaitsAsync("+12125550148");
        await QueueFlows.EventuallyAsync(() => again.Rows.ContainsKey(contact), "the caller on the reconnected dashboard");
    }

    [Fact]
    public async Task ASignInRevokedOnAnotherNodeClosesTheDashboardAtThisNodesNextCheck()
    {
        var advisorId = await _app.AdvisorOnDutyAsync("advisor@test.example");
        var advisor = await _app.SignInAsync("advisor@test.example");
        await using var dashboard = new DashboardClient(advisor.Hub());
        await dashboard.StartAsync();
        var closed = ClosedAsync(dashboard.Connection);

        // As a password reset elsewhere does: a new security stamp, with no word to this node.
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
            await users.UpdateSecurityStampAsync((await users.FindByIdAsync(advisorId))!);
        }

        await closed.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => advisor.Hub().StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains(await AuditAsync(), a => a.StartsWith("staff.live-updates-closed advisor@test.example security stamp changed"));
    }

    private static Task ClosedAsync(HubConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        return closed.Task;
    }

    private async Task CheckConnectionsNowAsync() =>
        await _app.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<HubSessionCheck>().Single().CheckAsync(CancellationToken.None);

    private Task<List<string>> AuditAsync() => _app.WithDbAsync(db =>
        db.AuditEntries.OrderBy(a => a.Id).Select(a => a.Action + " " + a.UserName + " " + a.Details).ToListAsync());
}
