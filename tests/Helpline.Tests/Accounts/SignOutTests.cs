using System.Net;
using System.Text;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Accounts;

/// <summary>
/// Signing out ends that sign-in, not only the browser's cookie: a copy of the cookie taken before is
/// refused on its next request, its live updates close within seconds, and another sign-in of the
/// same person (the wallboard on another screen) goes on.
/// </summary>
public sealed class SignOutTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public async ValueTask InitializeAsync()
    {
        // The account check (30 s by default) must not be what closes a signed-out connection here.
        _app.Settings["Queue:ConnectionCheckSeconds"] = "300";
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor, presence: Presence.Available);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ACopyOfTheCookieTakenBeforeSignOutIsRefusedOnItsNextRequest()
    {
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");
        var session = await _app.SignInAsync("supervisor@test.example");
        var stolen = Thief(session.Cookie);
        Assert.Equal(HttpStatusCode.OK, (await stolen.GetAsync("/api/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await stolen.GetAsync($"/api/contacts/{contact}")).StatusCode);

        await session.SubmitAsync("/sign-out", "/sign-out", []);

        Assert.Equal(HttpStatusCode.Unauthorized, (await stolen.GetAsync("/api/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stolen.GetAsync($"/api/contacts/{contact}")).StatusCode);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => session.Hub().StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.StaffSignIns.CountAsync()));
    }

    [Fact]
    public async Task TheCookieHoldsOnlyAKeyAndTheStoredSignInIsProtected()
    {
        var session = await _app.SignInAsync("supervisor@test.example");

        var row = await _app.WithDbAsync(db => db.StaffSignIns.AsNoTracking().SingleAsync());
        var stored = Encoding.UTF8.GetString(row.Ticket);
        Assert.DoesNotContain("supervisor@test.example", stored);
        Assert.DoesNotContain("Supervisor", stored);
        // A cookie carrying the claims would be well over a kilobyte; one carrying a key is small.
        Assert.InRange(session.Cookie.Length, 1, 700);
    }

    [Fact]
    public async Task SigningOutClosesThatSignInsLiveUpdatesWithinSecondsWhileTheWallboardsSignInGoesOn()
    {
        var dashboard = await _app.SignInAsync("supervisor@test.example");
        var wallboard = await _app.SignInAsync("supervisor@test.example");
        await using var dashboardHub = new DashboardClient(dashboard.Hub());
        await dashboardHub.StartAsync();
        var closed = ClosedAsync(dashboardHub.Connection);
        await using var wallboardHub = new DashboardClient(wallboard.Hub());
        await wallboardHub.StartAsync();

        await dashboard.SubmitAsync("/sign-out", "/sign-out", []);

        await closed.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HubConnectionState.Connected, wallboardHub.Connection.State);
        Assert.Equal(HttpStatusCode.OK, (await wallboard.Browser.GetAsync("/api/wallboard")).StatusCode);
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");
        await QueueFlows.EventuallyAsync(() => wallboardHub.Rows.ContainsKey(contact), "the caller on the wallboard");
        Assert.Contains("staff.live-updates-closed supervisor@test.example signed out; 1 connection(s)",
            await _app.WithDbAsync(db => db.AuditEntries.Select(a => a.Action + " " + a.UserName + " " + a.Details).ToListAsync()));
    }

    [Fact]
    public async Task ASignOutOnAnotherNodeClosesThisNodesConnectionWithinSeconds()
    {
        var session = await _app.SignInAsync("supervisor@test.example");
        await using var hub = new DashboardClient(session.Hub());
        await hub.StartAsync();
        var closed = ClosedAsync(hub.Connection);

        // As a sign-out on another node does: the row goes, with no word to this node.
        await _app.WithDbAsync(db => db.StaffSignIns.ExecuteDeleteAsync());

        await closed.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Thief(session.Cookie).GetAsync("/api/queue")).StatusCode);
    }

    private HttpClient Thief(string cookie)
    {
        var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
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
}
