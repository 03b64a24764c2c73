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
public sealed class LiveUpdateTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task CallArrivingIsPushedToAConnectedDashboardWithoutCallerDetails()
    {
        await _app.AdvisorOnDutyAsync();
        var session = await _app.SignInAsync("on-duty@test.example");
        var dashboard = new Dashboard(session.Hub());
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
        var dashboard = new Dashboard(session.Hub());
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
    public async Task CallerWhoHangsUpWhileWaitingIsAbandonedAndLeavesEveryDashboard()
    {
        await _app.AdvisorOnDutyAsync();
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var dashboards = new[]
        {
            new Dashboard((await _app.SignInAsync("on-duty@test.example")).Hub()),
            new Dashboard((await _app.SignInAsync("supervisor@test.example")).Hub()),
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
        var wallboard = new Dashboard((await _app.SignInAsync("supervisor@test.example")).Hub());
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
        var dashboard = new Dashboard(session.Hub());
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

    /// <summary>A dashboard as a browser would run it: snapshot on (re)connect, then only newer deltas; a gap means a new snapshot.</summary>
    private sealed class Dashboard : IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public Dashboard(HubConnection connection)
        {
            Connection = connection;
            Connection.On<QueueDelta>(nameof(IQueueClient.QueueChanged), delta => _ = ApplyAsync(delta));
            Connection.On<long>(nameof(IQueueClient.Heartbeat), version =>
            {
                Heartbeats.Add(version);
                if (version > Version)
                    _ = ResyncAsync();
            });
        }

        public HubConnection Connection { get; }
        public long Version { get; private set; }
        public ConcurrentDictionary<long, QueueRow> Rows { get; } = new();
        public ConcurrentDictionary<string, AdvisorRow> Advisors { get; } = new();
        public ConcurrentBag<long> Heartbeats { get; } = [];
        public ConcurrentBag<string> RawDeltas { get; } = [];

        public async Task StartAsync()
        {
            await Connection.StartAsync();
            await ResyncAsync();
        }

        private async Task ResyncAsync()
        {
            var snapshot = await Connection.InvokeAsync<QueueSnapshot>(nameof(QueueHub.GetSnapshot));
            await _gate.WaitAsync();
            try
            {
                if (snapshot.Version < Version)
                    return;
                Rows.Clear();
                foreach (var row in snapshot.Contacts)
                    Rows[row.ContactId] = row;
                foreach (var advisor in snapshot.Advisors)
                    Advisors[advisor.Id] = advisor;
                Version = snapshot.Version;
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task ApplyAsync(QueueDelta delta)
        {
            RawDeltas.Add(System.Text.Json.JsonSerializer.Serialize(delta, StaffSession.Json));
            bool gap;
            await _gate.WaitAsync();
            try
            {
                if (delta.Version <= Version)
                    return;
                gap = delta.Version != Version + 1;
                if (!gap)
                {
                    if (delta.Contact is { } row)
                        Rows[row.ContactId] = row;
                    if (delta.RemovedContactId is { } removed)
                        Rows.TryRemove(removed, out _);
                    if (delta.Advisor is { } advisor)
                        Advisors[advisor.Id] = advisor;
                    Version = delta.Version;
                }
            }
            finally
            {
                _gate.Release();
            }
            if (gap)
                await ResyncAsync();
        }

        public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
    }
}
