using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.AspNetCore.SignalR.Client;
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
    public async Task WithRedisDownDashboardsOpenAndFollowEveryCallOnEveryNodeEvenWhenANodeDiesAndResyncAsSoonAsRedisReturns()
    {
        cluster.RequireServers();
        await cluster.Admin.CreateStaffAsync("outage-advisor@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        await cluster.Admin.CreateStaffAsync("outage-supervisor@test.example", Roles.Supervisor);
        var advisor = await cluster.SignInAsync("outage-advisor@test.example", node: 0);
        var supervisorA = await cluster.SignInAsync("outage-supervisor@test.example", node: 0);
        var supervisorB = await cluster.SignInAsync("outage-supervisor@test.example", node: 1);
        var dashboards = new List<DashboardClient>();
        try
        {
            // One dashboard kept on node A, one first on node B (it moves to A when B goes).
            dashboards.Add(await StartedAsync(supervisorA.Hub()));
            dashboards.Add(await StartedAsync(supervisorB.HubFirstOn(1)));

            await cluster.Redis.StopAsync();
            try
            {
                foreach (var node in cluster.Nodes)
                    await EventuallyAsync(async () => (await HealthAsync(node)).StartsWith("Degraded", StringComparison.Ordinal), $"node {node.Name}'s /healthz to say Degraded", seconds: 5);

                // New dashboards open on both nodes and get their snapshot, told the updates are delayed.
                var before = await advisor.QueueAsync();
                var lateA = await StartedAsync(supervisorA.Hub());
                dashboards.Add(lateA);
                var lateB = await StartedAsync(supervisorB.HubFirstOn(1));
                dashboards.Add(lateB);
                foreach (var late in new[] { lateA, lateB })
                {
                    Assert.True(late.Version >= before.Version, "A dashboard opened during the outage should get the current snapshot.");
                    Assert.Superset(before.Contacts.Select(c => c.ContactId).ToHashSet(), late.Rows.Keys.ToHashSet());
                    await EventuallyAsync(() => late.Delayed == true, "a dashboard opened during the outage to be told updates are delayed", seconds: 5);
                }
                Assert.All(cluster.Nodes, n => Assert.Contains("warn: Helpline.Queue.QueueBackplane", n.Output, StringComparison.Ordinal));

                // Calls arriving at either node reach every dashboard on both nodes, as deltas in order:
                // no dashboard needs a snapshot for them, whatever the heartbeats say meanwhile.
                var snapshots = dashboards.Select(d => d.Snapshots).ToList();
                var callers = new List<long>();
                for (var i = 0; i < 4; i++)
                    callers.Add(await CallReachesEveryDashboardAsync(dashboards, cluster.Nodes[i % 2], $"+1212555040{i}"));
                Assert.Equal(snapshots, dashboards.Select(d => d.Snapshots));

                // Node B dies during the outage: its dashboards move to A and go on following every call.
                await B.KillAsync();
                for (var i = 4; i < 7; i++)
                    callers.Add(await CallReachesEveryDashboardAsync(dashboards, A, $"+1212555040{i}"));
                var taking = Stopwatch.StartNew();
                using (var taken = await advisor.PostAsync($"/api/contacts/{callers[0]}/take"))
                    Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
                await EventuallyAsync(() => dashboards.All(d => d.Rows.TryGetValue(callers[0], out var row) && row.Status == ContactStatus.Connecting),
                    "every dashboard to show the take", seconds: 5);
                Report($"take shown on every dashboard {taking.ElapsedMilliseconds} ms after it was asked");

                // Nothing lost: every call answered and queued, the one taken connecting.
                var statuses = await cluster.Admin.WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => callers.Contains(c.Id)).Select(c => new { c.Id, c.Status }).ToListAsync());
                Assert.Equal(callers.Count, statuses.Count);
                Assert.Equal(callers.Count - 1, statuses.Count(s => s.Status == ContactStatus.Waiting));

                // Node B starts again while Redis is still down: its dashboards connect and follow too.
                await B.StartAsync();
                dashboards.Add(await StartedAsync(supervisorB.HubFirstOn(1)));
                callers.Add(await CallReachesEveryDashboardAsync(dashboards, B, "+12125550407"));
            }
            finally
            {
                await cluster.Redis.StartAgainAsync();
            }

            // Back: a call made as Redis returns, and every dashboard level with the server within 2 s.
            var back = Stopwatch.StartNew();
            var last = await cluster.CallerWaitsAsync(A, "+12125550409");
            Report($"a call placed as Redis returned was queued {back.ElapsedMilliseconds} ms after Redis answered");
            await EventuallyAsync(async () =>
            {
                var server = await advisor.QueueAsync();
                return dashboards.All(d => d.Version >= server.Version && d.Rows.Keys.Order().SequenceEqual(server.Contacts.Select(c => c.ContactId).Order()));
            }, "every dashboard to match the server's queue after Redis came back", seconds: 2);
            Report($"every dashboard matched the server {back.ElapsedMilliseconds} ms after Redis answered again");
            Assert.All(dashboards, d => Assert.True(d.Rows.ContainsKey(last)));
            foreach (var node in cluster.Nodes)
                await EventuallyAsync(async () => await HealthAsync(node) == "Healthy", $"node {node.Name}'s /healthz to say Healthy again", seconds: 5 - back.Elapsed.TotalSeconds);
            Report($"both nodes use Redis again {back.ElapsedMilliseconds} ms after it answered");
            await EventuallyAsync(() => dashboards.All(d => d.Delayed != true), "every dashboard to be told updates are live again", seconds: 5);

            // Redis carries the changes again, also for the node that started without it: a call at B
            // reaches every dashboard (those on A included) as a delta, with neither node polling.
            var afterwards = Stopwatch.StartNew();
            var relayed = await cluster.CallerWaitsAsync(B, "+12125550410");
            await EventuallyAsync(() => dashboards.All(d => Deltas(d).Any(delta => delta.Contact?.ContactId == relayed)), "every dashboard to get the call at B as a delta", seconds: 5 - afterwards.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var dashboard in dashboards)
                await dashboard.DisposeAsync();
            if (!B.IsRunning)
                await B.StartAsync();
        }
    }

    private static async Task<DashboardClient> StartedAsync(Microsoft.AspNetCore.SignalR.Client.HubConnection connection)
    {
        var dashboard = new DashboardClient(connection);
        await dashboard.StartAsync();
        return dashboard;
    }

    /// <summary>A caller waits at a node; every dashboard shows them within 5 s of the key press that queued them.</summary>
    private async Task<long> CallReachesEveryDashboardAsync(IReadOnlyList<DashboardClient> dashboards, AppNode node, string from)
    {
        var clock = new Stopwatch();
        var contactId = await cluster.CallerWaitsAsync(node, from, pressing: clock.Start);
        var answered = clock.ElapsedMilliseconds;
        await EventuallyAsync(() => dashboards.All(d => d.Rows.ContainsKey(contactId)), $"every dashboard to show the caller at node {node.Name}", seconds: 5 - clock.Elapsed.TotalSeconds);
        Report($"caller queued at node {node.Name}: on every dashboard {clock.ElapsedMilliseconds} ms after the key press (its webhook answered in {answered} ms)");
        return contactId;
    }

    private static async Task<string> HealthAsync(AppNode node)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync("/healthz");
    }

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

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

    [Fact]
    public async Task TextsArrivingAtEitherNodeReachTheAdvisorOnTheOtherOnceAndTheirRepliesDeliveryToo()
    {
        cluster.RequireServers();
        await cluster.Admin.CreateStaffAsync("text-node-advisor@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        var advisor = await cluster.SignInAsync("text-node-advisor@test.example", node: 1);
        await using var advisorHub = advisor.Hub();
        var advisorSaw = new System.Collections.Concurrent.ConcurrentQueue<Helpline.Chat.ChatMessageView>();
        var delivered = new System.Collections.Concurrent.ConcurrentQueue<Helpline.Messages.TextDeliveryView>();
        advisorHub.On<Helpline.Chat.ChatMessageView>(nameof(IQueueClient.ChatMessage), advisorSaw.Enqueue);
        advisorHub.On<Helpline.Messages.TextDeliveryView>(nameof(IQueueClient.TextDelivery), delivered.Enqueue);
        await advisorHub.StartAsync();
        const string person = "+12125550377";

        // The person's first two texts reach both nodes at the same moment, and Twilio repeats the first
        // to the other node: one conversation, each text once, one acknowledgement.
        var first = Text(person, "Hi, I need to talk to someone about my son");
        var second = Text(person, "He overdosed last month");
        var arrivals = await Task.WhenAll(
            cluster.PostTwilioAsync(A, "/twilio/sms/incoming", first), cluster.PostTwilioAsync(B, "/twilio/sms/incoming", second),
            cluster.PostTwilioAsync(B, "/twilio/sms/incoming", first));
        Assert.All(arrivals, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var contactIds = await cluster.Admin.WithDbAsync(db => db.Contacts.Where(c => c.Channel == ContactChannel.Sms && c.Caller!.PhoneNumber != null).Select(c => c.Id).ToListAsync());
        var contactId = Assert.Single(contactIds);
        Assert.Equal(2, await cluster.Admin.WithDbAsync(db => db.ChatMessages.CountAsync(m => m.ContactId == contactId && m.Sender == Helpline.Chat.ChatSender.Person)));
        Assert.Single(TextsTo(person));

        // Taken and answered from node B; Twilio's report of the reply reaches node A, and the advisor's screen on B.
        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync($"/api/contacts/{contactId}/take")).StatusCode);
        using var reply = await advisor.Client.PostAsJsonAsync($"/api/conversations/{contactId}/messages", new { text = "I'm so sorry. Is he safe right now?" }, ClusterSession.Json);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var sent = TextsTo(person)[^1];
        Assert.Equal("I'm so sorry. Is he safe right now?", sent["Body"]);
        var callback = new Uri(sent["StatusCallback"]!);
        Assert.Equal(Cluster.PublicBaseUrl, callback.GetLeftPart(UriPartial.Authority));
        var sequence = (await reply.Content.ReadFromJsonAsync<Helpline.Chat.ChatMessageView>(ClusterSession.Json))!.Sequence;
        var sid = await cluster.Admin.WithDbAsync(db => db.ChatMessages.Where(m => m.ContactId == contactId && m.Sequence == sequence).Select(m => m.ProviderSid).SingleAsync());
        Assert.NotNull(sid);
        var report = await cluster.PostTwilioAsync(A, callback.PathAndQuery, new Dictionary<string, string> { ["MessageSid"] = sid!, ["MessageStatus"] = "delivered", ["To"] = person });
        Assert.Equal(HttpStatusCode.NoContent, report.StatusCode);
        await EventuallyAsync(() => delivered.Any(d => d.ContactId == contactId && d.Sequence == sequence && d.Delivery == Helpline.Chat.TextDelivery.Delivered), "the reply shown delivered on node B");

        // The person answers through node A; then STOP, through node B, ends it.
        (await cluster.PostTwilioAsync(A, "/twilio/sms/incoming", Text(person, "Yes, he's at home with me"))).EnsureSuccessStatusCode();
        await EventuallyAsync(() => advisorSaw.Any(m => m.ContactId == contactId && m.Text == "Yes, he's at home with me"), "the person's text on node B");
        (await cluster.PostTwilioAsync(B, "/twilio/sms/incoming", Text(person, "stop"))).EnsureSuccessStatusCode();
        Assert.Equal(ContactStatus.WrapUp, (await cluster.Admin.ContactAsync(contactId)).Status);
        var texted = TextsTo(person).Count;
        using var refused = await advisor.Client.PostAsJsonAsync($"/api/conversations/{contactId}/messages", new { text = "Still there?" }, ClusterSession.Json);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(texted, TextsTo(person).Count);

        List<TwilioRequest> TextsTo(string number) => [.. cluster.Twilio.Api.TextsSent.Where(r => r["To"] == number)];
    }

    private static Dictionary<string, string> Text(string from, string body) => new()
    {
        ["MessageSid"] = "SM" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        ["AccountSid"] = FakeTwilioApi.AccountSid, ["From"] = from, ["To"] = "+18005550100", ["Body"] = body, ["NumMedia"] = "0", ["ApiVersion"] = "2010-04-01",
    };

    [Fact]
    public async Task APersonChattingOnOneNodeAndTheirAdvisorOnTheOtherReadEachOtherAndAReconnectElsewhereResumes()
    {
        cluster.RequireServers();
        await cluster.Admin.CreateStaffAsync("chat-node-advisor@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        var advisor = await cluster.SignInAsync("chat-node-advisor@test.example", node: 1);
        await using var advisorHub = advisor.Hub();
        var advisorSaw = new System.Collections.Concurrent.ConcurrentQueue<Helpline.Chat.ChatMessageView>();
        advisorHub.On<Helpline.Chat.ChatMessageView>(nameof(IQueueClient.ChatMessage), advisorSaw.Enqueue);
        await advisorHub.StartAsync();

        // The person's page, start, token and hub all on node A.
        var person = cluster.Client(node: 0);
        using var page = await person.GetAsync("/chat");
        page.EnsureSuccessStatusCode();
        var antiforgery = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        using var start = new HttpRequestMessage(HttpMethod.Post, "/chat/api/start") { Content = System.Net.Http.Json.JsonContent.Create(new { lang = "en" }) };
        start.Headers.Add("Cookie", antiforgery);
        start.Headers.Add("RequestVerificationToken", Forms.Token(await page.Content.ReadAsStringAsync()));
        using var started = await person.SendAsync(start);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var secret = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var personSaw = new System.Collections.Concurrent.ConcurrentQueue<Helpline.Chat.ChatMessageView>();
        async Task<string?> TokenFrom(int node)
        {
            using var response = await cluster.Client(node).PostAsync("/chat/api/token", System.Net.Http.Json.JsonContent.Create(new { secret }));
            response.EnsureSuccessStatusCode();
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        }
        Microsoft.AspNetCore.SignalR.Client.HubConnection PersonHub(int node)
        {
            var hub = new Microsoft.AspNetCore.SignalR.Client.HubConnectionBuilder()
                .WithUrl(new Uri(cluster.Nginx.BaseUri, "/hubs/chat"), options =>
                {
                    options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                    options.AccessTokenProvider = () => TokenFrom(node);
                    options.Headers[Helpline.PostgresTests.Servers.NginxServer.NodeHeader] = node.ToString();
                })
                .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()))
                .Build();
            hub.On<Helpline.Chat.ChatMessageView>("Message", personSaw.Enqueue);
            return hub;
        }
        var onA = PersonHub(0);
        await onA.StartAsync();
        var joined = await onA.InvokeAsync<Helpline.Chat.ChatJoinView>("Join", 0);
        var contactId = joined.Status.ContactId;

        // The advisor on node B sees the chat waiting, takes it and reads the first message.
        await onA.InvokeAsync<Helpline.Chat.ChatSendView>("Send", "n1", "Hello from node A");
        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync($"/api/contacts/{contactId}/take")).StatusCode);
        await EventuallyAsync(() => personSaw.Any(m => m.Text == "An advisor has joined the chat."), "the person on node A to hear the advisor on node B joined");
        await onA.InvokeAsync<Helpline.Chat.ChatSendView>("Send", "n2", "Are you there?");
        await EventuallyAsync(() => advisorSaw.Any(m => m.ContactId == contactId && m.Text == "Are you there?"), "the advisor on node B to see the message sent on node A");
        using var reply = await advisor.Client.PostAsync($"/api/conversations/{contactId}/messages", System.Net.Http.Json.JsonContent.Create(new { clientMessageId = "r1", text = "Yes, I'm here." }));
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        await EventuallyAsync(() => personSaw.Any(m => m.Text == "Yes, I'm here."), "the person on node A to see the reply written on node B");

        // Node A's connection goes; the person comes back through node B, with what they missed.
        var lastSeen = personSaw.Max(m => m.Sequence);
        await onA.DisposeAsync();
        using var missed = await advisor.Client.PostAsync($"/api/conversations/{contactId}/messages", System.Net.Http.Json.JsonContent.Create(new { clientMessageId = "r2", text = "Still with you." }));
        await using var onB = PersonHub(1);
        await onB.StartAsync();
        var rejoined = await onB.InvokeAsync<Helpline.Chat.ChatJoinView>("Join", lastSeen);
        Assert.Equal(["Still with you."], rejoined.Messages.Select(m => m.Text));
        await onB.InvokeAsync<Helpline.Chat.ChatSendView>("Send", "n3", "Back, on the other node");
        await EventuallyAsync(() => advisorSaw.Any(m => m.ContactId == contactId && m.Text == "Back, on the other node"), "the advisor to see the message sent after the move");
    }

    private static IEnumerable<QueueDelta> Deltas(DashboardClient dashboard) =>
        dashboard.RawDeltas.ToArray().Select(d => JsonSerializer.Deserialize<QueueDelta>(d, StaffSession.Json)!);

    private async Task EventuallyAsync(Func<bool> condition, string what, double seconds = 30) =>
        await EventuallyAsync(() => Task.FromResult(condition()), what, seconds);

    private async Task EventuallyAsync(Func<Task<bool>> condition, string what, double seconds = 30)
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
