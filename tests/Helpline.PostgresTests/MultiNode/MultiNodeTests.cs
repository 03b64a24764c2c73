using System.Net;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.MultiNode;

/// <summary>
/// Two app processes behind nginx on one PostgreSQL and one Redis: what several nodes must keep true.
/// The tests share one cluster (starting it is the slow part), so each works on contacts of its own.
/// </summary>
public sealed class MultiNodeTests(Cluster cluster) : IClassFixture<Cluster>
{
    private AppNode A => cluster.Nodes[0];
    private AppNode B => cluster.Nodes[1];

    [Fact]
    public async Task CallArrivingAtOneNodeReachesADashboardConnectedToTheOther()
    {
        cluster.RequireServers();
        await cluster.Admin.CreateStaffAsync("relay-advisor@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        await cluster.Admin.CreateStaffAsync("relay-supervisor@test.example", Roles.Supervisor);
        var supervisor = await cluster.SignInAsync("relay-supervisor@test.example", node: 1);
        await using var dashboard = new DashboardClient(supervisor.Hub());
        await dashboard.StartAsync();

        var contactId = await cluster.CallerWaitsAsync(A, "+12125550301");

        // As a delta pushed through Redis from node A, not only from a later re-sync.
        await EventuallyAsync(() => Deltas(dashboard).Any(d => d.Contact?.ContactId == contactId), "the caller on node B's dashboard");
        Assert.True(dashboard.Rows.ContainsKey(contactId));
    }

    [Fact]
    public async Task TwentyAdvisorsOnBothNodesRaceForOneContactAndExactlyOneWins()
    {
        cluster.RequireServers();
        var emails = Enumerable.Range(1, 20).Select(i => $"racer{i}@test.example").ToList();
        var ids = new Dictionary<string, string>();
        foreach (var email in emails)
            ids[email] = await cluster.Admin.CreateStaffAsync(email, Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        var sessions = new List<(string Email, ClusterSession Session)>();
        for (var i = 0; i < emails.Count; i++)
            sessions.Add((emails[i], await cluster.SignInAsync(emails[i], node: i % 2)));
        var contactId = await cluster.CallerWaitsAsync(B, "+12125550302");

        using var start = new Barrier(sessions.Count);
        var takes = await Task.WhenAll(sessions.Select(s => Task.Run(async () =>
        {
            start.SignalAndWait();
            using var response = await s.Session.PostAsync($"/api/contacts/{contactId}/take");
            return (s.Email, response.StatusCode);
        })));

        var winners = takes.Where(t => t.StatusCode == HttpStatusCode.OK).ToList();
        Assert.Single(winners);
        Assert.All(takes.Except(winners), t => Assert.Equal(HttpStatusCode.Conflict, t.StatusCode));
        var contact = await cluster.Admin.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId));
        Assert.Equal(ids[winners[0].Email], contact.AdvisorId);
        // One bridge: the caller's call was redirected into a conference once, and one advisor's phone rang.
        Assert.Single(cluster.Twilio.Api.CallUpdates, u => u.CallSid == contact.CallSid);
    }

    [Fact]
    public async Task TwoHundredCallbacksFireOnceAcrossBothNodesEvenWhenOneIsKilledPartWay()
    {
        cluster.RequireServers();
        const int count = 200;
        cluster.Admin.Clock.SetUtcNow(DateTimeOffset.UtcNow);
        var before = await cluster.Admin.WithDbAsync(db => db.Callbacks.Select(c => c.Id).ToListAsync());
        await using (var scope = cluster.Admin.Services.CreateAsyncScope())
        {
            // Due over 40 s from 10 s on; the nodes' dispatchers find them on their next pass (every 30 s)
            // and schedule them, so some fire late, never early.
            var seeded = await SeedCallbacksCommand.SeedAsync(scope.ServiceProvider, count, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(10));
            Assert.Null(seeded.Problem);
        }
        var ours = await cluster.Admin.WithDbAsync(db => db.Callbacks.Where(c => !before.Contains(c.Id)).Select(c => c.Id).ToListAsync());
        Assert.Equal(count, ours.Count);
        Task<int> Fired() => cluster.Admin.WithDbAsync(db => db.Callbacks.CountAsync(c => ours.Contains(c.Id) && c.Status != CallbackStatus.Scheduled));

        await EventuallyAsync(async () => await Fired() >= count * 3 / 10, "30 % of the callbacks to fire", seconds: 180);
        await A.KillAsync();
        await EventuallyAsync(async () => await Fired() == count, "node B to fire the rest", seconds: 300);

        var callbacks = await cluster.Admin.WithDbAsync(db => db.Callbacks.AsNoTracking().Where(c => ours.Contains(c.Id)).Select(c => new { c.ContactId, c.DueAt, c.Status }).ToListAsync());
        var contactIds = callbacks.Select(c => (long?)c.ContactId).ToList();
        var queued = await cluster.Admin.WithDbAsync(db => db.QueueChanges.AsNoTracking()
            .Where(q => q.Kind == QueueChangeKinds.ContactQueued && contactIds.Contains(q.ContactId))
            .Select(q => new { q.ContactId, q.At }).ToListAsync());
        Assert.All(callbacks, c => Assert.Equal(CallbackStatus.Due, c.Status));
        Assert.All(callbacks, c => Assert.Equal(1, queued.Count(q => q.ContactId == c.ContactId)));
        Assert.All(callbacks, c => Assert.True(queued.Single(q => q.ContactId == c.ContactId).At >= c.DueAt, "A callback entered the queue before its due time."));
        // Both nodes' job servers took part (Hangfire records which server ran each job).
        var servers = await cluster.Admin.WithDbAsync(db => db.Database
            .SqlQueryRaw<string>("SELECT DISTINCT split_part(data::jsonb->>'ServerId', ':', 2) AS \"Value\" FROM hangfire.state WHERE name = 'Processing'")
            .ToListAsync());
        Assert.True(servers.Count >= 2, $"Jobs ran on {servers.Count} node(s): {string.Join(", ", servers)}");

        await A.StartAsync();
    }

    [Fact]
    public async Task WithRedisDownCallsAreStillTakenAndNothingIsLostThenDashboardsResync()
    {
        cluster.RequireServers();
        await cluster.Admin.CreateStaffAsync("outage-advisor@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        await cluster.Admin.CreateStaffAsync("outage-supervisor@test.example", Roles.Supervisor);
        var advisor = await cluster.SignInAsync("outage-advisor@test.example");
        var supervisorA = await cluster.SignInAsync("outage-supervisor@test.example", node: 0);
        var supervisorB = await cluster.SignInAsync("outage-supervisor@test.example", node: 1);
        await using var dashboardA = new DashboardClient(supervisorA.Hub());
        await using var dashboardB = new DashboardClient(supervisorB.Hub());
        await dashboardA.StartAsync();
        await dashboardB.StartAsync();
        var versionBefore = Math.Min(dashboardA.Version, dashboardB.Version);

        await cluster.Redis.StopAsync();
        var stalled = (A: dashboardA.Version, B: dashboardB.Version);
        try
        {
            var callers = new List<long>();
            for (var i = 0; i < 6; i++)
                callers.Add(await cluster.CallerWaitsAsync(i % 2 == 0 ? A : B, $"+1212555040{i}"));
            using var taken = await advisor.PostAsync($"/api/contacts/{callers[0]}/take");
            Assert.Equal(HttpStatusCode.OK, taken.StatusCode);

            var statuses = await cluster.Admin.WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => callers.Contains(c.Id)).Select(c => new { c.Id, c.Status }).ToListAsync());
            Assert.Equal(6, statuses.Count);
            Assert.Equal(5, statuses.Count(s => s.Status == ContactStatus.Waiting));
            Assert.Equal(ContactStatus.Connecting, statuses.Single(s => s.Id == callers[0]).Status);
            // The outage is real: the dashboards heard nothing of it, so they have a gap to close.
            Assert.Equal(stalled, (dashboardA.Version, dashboardB.Version));
            Assert.True((await advisor.QueueAsync()).Version > Math.Max(stalled.A, stalled.B));
        }
        finally
        {
            await cluster.Redis.StartAgainAsync();
        }

        // Back: the heartbeat shows each dashboard it missed changes, and a snapshot brings it level with the server.
        var server = await advisor.QueueAsync();
        foreach (var dashboard in new[] { dashboardA, dashboardB })
        {
            await EventuallyAsync(() => dashboard.Heartbeats.Any(v => v >= server.Version) && dashboard.Version >= server.Version, "a dashboard to re-sync after Redis came back", seconds: 90);
            Assert.True(dashboard.Version > versionBefore);
            var now = await advisor.QueueAsync();
            await EventuallyAsync(() => dashboard.Rows.Keys.Order().SequenceEqual(now.Contacts.Select(c => c.ContactId).Order()), "the dashboard's rows to match the server's");
        }
    }

    [Fact]
    public async Task SigningOutOnOneNodeEndsThatSignInOnTheOtherWithinSecondsAndLeavesTheWallboardsSignIn()
    {
        cluster.RequireServers();
        await cluster.Admin.CreateStaffAsync("leaving-supervisor@test.example", Roles.Supervisor);
        var dashboard = await cluster.SignInAsync("leaving-supervisor@test.example", node: 0);
        var wallboard = await cluster.SignInAsync("leaving-supervisor@test.example", node: 1);
        // A copy of the dashboard's cookie, used on the other node: its requests and its hub connection.
        using var stolen = cluster.Client(node: 1);
        stolen.DefaultRequestHeaders.Add("Cookie", dashboard.Cookie);
        Assert.Equal(HttpStatusCode.OK, (await stolen.GetAsync("/api/queue")).StatusCode);
        await using var stolenHub = new DashboardClient(dashboard.HubOn(node: 1));
        await stolenHub.StartAsync();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stolenHub.Connection.Reconnecting += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        stolenHub.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await using var wallboardHub = new DashboardClient(wallboard.Hub());
        await wallboardHub.StartAsync();

        await SignOutAsync(dashboard, node: 0);

        Assert.Equal(HttpStatusCode.Unauthorized, (await stolen.GetAsync("/api/queue")).StatusCode);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => dashboard.HubOn(node: 1).StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await wallboard.Client.GetAsync("/api/wallboard")).StatusCode);
        Assert.Equal(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected, wallboardHub.Connection.State);
    }

    /// <summary>The sign-out form posted as a browser posts it, to one node.</summary>
    private async Task SignOutAsync(ClusterSession session, int node)
    {
        using var client = cluster.Client(node);
        using var pageRequest = new HttpRequestMessage(HttpMethod.Get, "/sign-out") { Headers = { { "Cookie", session.Cookie } } };
        using var page = await client.SendAsync(pageRequest);
        page.EnsureSuccessStatusCode();
        var antiforgery = page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Where(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        using var post = new HttpRequestMessage(HttpMethod.Post, "/sign-out")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Forms.Token(await page.Content.ReadAsStringAsync()) }),
        };
        post.Headers.Add("Cookie", string.Join("; ", antiforgery.Prepend(session.Cookie)));
        using var response = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static IEnumerable<QueueDelta> Deltas(DashboardClient dashboard) =>
        dashboard.RawDeltas.ToArray().Select(d => JsonSerializer.Deserialize<QueueDelta>(d, StaffSession.Json)!);

    private async Task EventuallyAsync(Func<bool> condition, string what, int seconds = 30) =>
        await EventuallyAsync(() => Task.FromResult(condition()), what, seconds);

    private async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Timed out after {seconds} s waiting for {what}.\n{cluster.NodeOutput()}");
            await Task.Delay(100);
        }
    }
}
