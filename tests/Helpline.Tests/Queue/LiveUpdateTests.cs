using System.Collections.Concurrent;
using System.Net;
using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using static Helpline.Tests.Infrastructure.Calls;
using Microsoft.AspNetCore.SignalR.Client;

namespace Helpline.Tests.Queue;

/// <summary>Dashboards over the real SignalR client: deltas, snapshots, reconnects, heartbeats.</summary>
public sealed class LiveUpdateTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task CallArrivingIsPushedToAConnectedDashboardWithoutCallerDetails()
    {
        await _app.AdvisorOnDutyAsync();
        var session = await _app.SignInAsync("on-duty@test.example");
        var dashboard = new DashboardClient(session.Hub());
        await dashboard.StartAsync();

        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");

        await QueueFlows.EventuallyAsync(() => dashboard.Rows.ContainsKey(contact) && dashboard.Rows[contact].Status == ContactStatus.Waiting, "the waiting caller on the dashboard");
        var row = dashboard.Rows[contact];
        Assert.Equal("•••• 0147", row.MaskedNumber);
        Assert.Equal(ContactFor.Self, row.For);
        Assert.Equal("NY", row.Region);
        Assert.DoesNotContain(dashboard.RawDeltas, d => d.Contains("2125550147") || d.Contains("Zorblax"));
        await dashboard.DisposeAsync();
    }

    [Fact]
    public async Task AfterAReconnectSnapshotPlusLaterDeltasEqualTheServersQueue()
    {
        await _app.AdvisorOnDutyAsync();
        var session = await _app.SignInAsync("on-duty@test.example");
        var dashboard = new DashboardClient(session.Hub());
        await dashboard.StartAsync();
        var (first, firstCall) = await _app.CallerWaitsAsync("+12125550101");
        await QueueFlows.EventuallyAsync(() => dashboard.Rows.ContainsKey(first), "the first caller");

        // The connection drops; meanwhile one caller arrives and the first hangs up.
        await dashboard.Connection.StopAsync();
        var (second, _) = await _app.CallerWaitsAsync("+12125550102");
        await _app.CallerStatusAsync(firstCall, "completed", 7);

        await dashboard.StartAsync();
        var (third, _) = await _app.CallerWaitsAsync("+12125550103", digit: "2");

        var server = await session.QueueAsync();
        await QueueFlows.EventuallyAsync(() => dashboard.Version >= server.Version, "the dashboard to reach the server's version");
        Assert.Equal(server.Contacts.Select(c => (c.ContactId, c.Status)).OrderBy(c => c.ContactId), dashboard.Rows.Values.Select(c => (c.ContactId, c.Status)).OrderBy(c => c.ContactId));
        Assert.Equal([second, third], dashboard.Rows.Keys.Order());
        Assert.DoesNotContain(first, dashboard.Rows.Keys);
        await dashboard.DisposeAsync();
    }

    [Fact]
    public async Task ABurstOfCallersReachesEveryDashboardWhole()
    {
        await _app.AdvisorOnDutyAsync();
        var session = await _app.SignInAsync("on-duty@test.example");
        var dashboards = new[] { new DashboardClient(session.Hub()), new DashboardClient(session.Hub()) };
        foreach (var dashboard in dashboards)
            await dashboard.StartAsync();

        // Forty callers at once: their changes come faster than one message each, and go together.
        var callers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _app.CallerWaitsAsync($"+1212555{1000 + i}")));

        var server = await session.QueueAsync();
        Assert.Equal(40, server.Contacts.Count);
        foreach (var dashboard in dashboards)
        {
            await QueueFlows.EventuallyAsync(() => dashboard.Version >= server.Version, "every dashboard to reach the server's version");
            Assert.Equal(callers.Select(c => c.Id).Order(), dashboard.Rows.Values.Where(r => r.Status == ContactStatus.Waiting).Select(r => r.ContactId).Order());
            output.WriteLine($"{server.Version} changes in {dashboard.Received.Messages} messages ({dashboard.Received.Batches} of several), {dashboard.Snapshots} snapshot(s)");
        }
        foreach (var dashboard in dashboards)
            await dashboard.DisposeAsync();
    }

    [Fact]
    public async Task CallerWhoHangsUpWhileWaitingIsAbandonedAndLeavesEveryDashboard()
    {
        await _app.AdvisorOnDutyAsync();
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var dashboards = new[]
        {
            new DashboardClient((await _app.SignInAsync("on-duty@test.example")).Hub()),
            new DashboardClient((await _app.SignInAsync("supervisor@test.example")).Hub()),
        };
        foreach (var d in dashboards)
            await d.StartAsync();
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        foreach (var d in dashboards)
            await QueueFlows.EventuallyAsync(() => d.Rows.ContainsKey(contact), "the caller on each dashboard");

        _app.Clock.Advance(TimeSpan.FromSeconds(95));
        await _app.PostTwilioAsync("/twilio/voice/queue-result", Infrastructure.Calls.Inbound(callSid).With(("QueueResult", "hangup"), ("QueueTime", "95")));

        foreach (var d in dashboards)
            await QueueFlows.EventuallyAsync(() => !d.Rows.ContainsKey(contact), "the caller to leave each dashboard");
        var abandoned = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.Abandoned, abandoned.Status);
        Assert.Equal(95, abandoned.WaitSeconds);
        foreach (var d in dashboards)
            await d.DisposeAsync();
    }

    [Fact]
    public async Task PresenceChangesReachTheWholeTeam()
    {
        var advisorId = await _app.AdvisorOnDutyAsync();
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var advisor = await _app.SignInAsync("on-duty@test.example");
        var wallboard = new DashboardClient((await _app.SignInAsync("supervisor@test.example")).Hub());
        await wallboard.StartAsync();

        await advisor.PutAsync("/api/presence", new { presence = "Break" });

        await QueueFlows.EventuallyAsync(() => wallboard.Advisors.TryGetValue(advisorId, out var a) && a.Presence == Presence.Break, "the advisor on break on the wallboard");
        await wallboard.DisposeAsync();
    }

    [Fact]
    public async Task HeartbeatCarriesTheCurrentVersionSoADashboardNoticesAGap()
    {
        await _app.AdvisorOnDutyAsync();
        var session = await _app.SignInAsync("on-duty@test.example");
        var dashboard = new DashboardClient(session.Hub());
        await dashboard.StartAsync();
        await _app.CallerWaitsAsync("+12125550147");
        var server = await session.QueueAsync();

        _app.Clock.Advance(TimeSpan.FromSeconds(5));

        await QueueFlows.EventuallyAsync(() => dashboard.Heartbeats.Contains(server.Version), "a heartbeat with the current version");
        await dashboard.DisposeAsync();
    }

    [Fact]
    public async Task HubRefusesAnonymousConnections()
    {
        var negotiate = await _app.CreateBrowser().PostAsync("/hubs/queue/negotiate?negotiateVersion=1", null);

        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
    }
}
