using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.PostgresTests.Servers;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.MultiNode;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;

namespace Helpline.Benchmarks;

/// <summary>
/// <c>--national</c>: the scale-out setup at a national line's size. App nodes (processes) behind a
/// real nginx on one PostgreSQL (durable) and one Redis, with about 2,000 dashboards on WebSockets
/// spread over the nodes, while about 10 new callers a second dial in for 10 minutes and advisors
/// take, talk, wrap up and complete them. For every change a dashboard shows (queued, taken,
/// answered, wrap-up, completed) it measures the time from the answer to the request that made the
/// change (and from its sending) to each dashboard's copy, and it reads each node's CPU time and memory and PostgreSQL's connections. It
/// runs with two nodes and then with three, the same load, so the third node's effect is measured in
/// the same run. Everything listens on 127.0.0.1; the run is bounded by its duration and counts.
/// </summary>
internal static class NationalBenchmark
{
    private const double DeliveryP99TargetMs = 250;

    internal sealed record Plan(int Clients, double ContactsPerSecond, TimeSpan Duration, int Advisors, int[] NodeCounts)
    {
        public static Plan From(string[] args)
        {
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            return new Plan(
                Clients: Value("--national-clients") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 2_000,
                ContactsPerSecond: Value("--national-rate") is { } r ? double.Parse(r, CultureInfo.InvariantCulture) : 10,
                Duration: TimeSpan.FromMinutes(Value("--national-minutes") is { } m ? double.Parse(m, CultureInfo.InvariantCulture) : 10),
                Advisors: Value("--national-advisors") is { } a ? int.Parse(a, CultureInfo.InvariantCulture) : 60,
                NodeCounts: (Value("--national-nodes") ?? "2,3").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray());
        }
    }

    public static async Task<int> RunAsync(string directory, string[] args)
    {
        var plan = Plan.From(args);
        PostgresServer.Durable = true;
        if ((PostgresServer.Shared.Unavailable ?? RedisServer.Unavailable() ?? NginxServer.Unavailable()) is { } missing)
        {
            Console.WriteLine($"National: skipped. {missing}");
            return 0;
        }
        Console.WriteLine($"National: {plan.Clients:N0} dashboards on WebSockets through nginx, {plan.ContactsPerSecond} new callers/s for {plan.Duration.TotalMinutes:F1} min, {plan.Advisors} advisors taking and completing; nodes: {string.Join(" then ", plan.NodeCounts)}");
        Console.WriteLine($"   all on this machine's {Environment.ProcessorCount} cores (dashboards' client, nginx, PostgreSQL with fsync, Redis, the nodes); load average at start: {ScaleBenchmark.LoadAverage()}");

        var results = new List<Result>();
        foreach (var nodes in plan.NodeCounts)
            results.Add(await RunOnceAsync(plan, nodes, Directory.CreateDirectory(Path.Combine(directory, $"nodes-{nodes}")).FullName));

        Console.WriteLine();
        Console.WriteLine("| Nodes | Callers queued | Completed | Deliveries (of expected) | Delta after the answer, p50 / p99 / max ms | After the request was sent, p50 / p99 ms | Requests p50 / p99 ms, failed | CPU per node (% of a core) | Memory per node, peak MB | PostgreSQL connections, max | Client CPU % |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
            Console.WriteLine(r.Row());
        foreach (var r in results)
            Console.WriteLine($"   {r.Nodes} nodes: delta delivery p99 {r.DeliveryP99Ms:F0} ms against a target of {DeliveryP99TargetMs:F0} ms: {(r.DeliveryP99Ms < DeliveryP99TargetMs && r.Missing == 0 ? "MET" : "NOT MET")}");
        if (results.Count >= 2)
        {
            var (first, last) = (results[0], results[^1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {last.Nodes} nodes / {first.Nodes} nodes: delta p99 {last.DeliveryP99Ms:F0} / {first.DeliveryP99Ms:F0} = {last.DeliveryP99Ms / first.DeliveryP99Ms:F2}; CPU of all nodes {last.NodeCpu.Sum():F0} / {first.NodeCpu.Sum():F0} % = {last.NodeCpu.Sum() / first.NodeCpu.Sum():F2}; PostgreSQL connections {last.PostgresConnections} / {first.PostgresConnections}"));
        }
        Console.WriteLine($"   load average at the end: {ScaleBenchmark.LoadAverage()} (on one machine a node adds no CPU: it shares the same cores)");
        await PostgresServer.Shared.DisposeAsync();
        return results.All(r => r.DeliveryP99Ms < DeliveryP99TargetMs && r.Missing == 0) ? 0 : 1;
    }

    private sealed record Result(
        int Nodes, int Clients, int Queued, int Completed, long Delivered, long Expected, long Missing,
        double DeliveryP50Ms, double DeliveryP99Ms, double DeliveryMaxMs, double FromSentP50Ms, double FromSentP99Ms, double RequestP50Ms, double RequestP99Ms, int RequestsFailed,
        double[] NodeCpu, double[] NodePeakMb, int PostgresConnections, double ClientCpu)
    {
        public string Row() => string.Create(CultureInfo.InvariantCulture,
            $"| {Nodes} | {Queued:N0} | {Completed:N0} | {Delivered:N0} of {Expected:N0} ({Missing:N0} missing) | {DeliveryP50Ms:F0} / {DeliveryP99Ms:F0} / {DeliveryMaxMs:F0} | {FromSentP50Ms:F0} / {FromSentP99Ms:F0} | {RequestP50Ms:F0} / {RequestP99Ms:F0}, {RequestsFailed} | {string.Join(", ", NodeCpu.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))} | {string.Join(", ", NodePeakMb.Select(m => m.ToString("F0", CultureInfo.InvariantCulture)))} | {PostgresConnections} | {ClientCpu:F0} |");
    }

    private static async Task<Result> RunOnceAsync(Plan plan, int nodeCount, string directory)
    {
        Console.WriteLine();
        Console.WriteLine($"-- {nodeCount} nodes --");
        var database = PostgresServer.Shared.CreateDatabase();
        await using var redis = await RedisServer.StartAsync();
        await using var twilio = await FakeTwilioServer.StartAsync();
        var environment = ScaleBenchmark.NodeEnvironment(database, redis.ConnectionString);
        environment["Twilio__AccountSid"] = FakeTwilioApi.AccountSid;
        environment["Twilio__ApiBaseUrl"] = twilio.BaseUri.ToString();
        environment["Twilio__PublicBaseUrl"] = PublicBaseUrl;
        environment["SignIn__PerAddressPerWindow"] = "10000";

        // The in-process app on the same database creates the staff (with the nodes' keys) and reads
        // contact ids; it runs no jobs and serves no dashboards.
        await using var admin = new HelplineServer(directory, settings: new()
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Helpline"] = database,
            ["Encryption:CurrentKeyId"] = environment["Encryption__CurrentKeyId"],
            ["Encryption:Keys:bench1"] = environment["Encryption__Keys__bench1"],
            ["Encryption:BlindIndexKey"] = environment["Encryption__BlindIndexKey"],
            ["Hangfire:ServerEnabled"] = "false",
        });
        admin.Start();
        var advisorEmails = Enumerable.Range(1, plan.Advisors).Select(i => $"national-{i}@helpline.example").ToArray();
        foreach (var email in advisorEmails)
            await admin.CreateStaffAsync(email, Roles.Advisor, available: true);

        var nodes = Enumerable.Range(0, nodeCount).Select(i => new AppNode(((char)('A' + i)).ToString(), LocalServer.FreePort(), environment)).ToList();
        try
        {
            foreach (var node in nodes)
                await node.StartAsync();
            await using var nginx = await NginxServer.StartAsync([.. nodes.Select(n => n.Port)]);
            using var http = new HttpClient(new SocketsHttpHandler
            {
                UseCookies = false,
                AllowAutoRedirect = false,
                MaxConnectionsPerServer = int.MaxValue,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            }) { Timeout = TimeSpan.FromSeconds(60) };

            var run = new Run(plan, nodes, nginx, http, twilio.Api, admin);
            var cookies = new List<string>();
            foreach (var (email, i) in advisorEmails.Select((e, i) => (e, i)))
                cookies.Add(await SignInAsync(http, nginx.BaseUri, email, node: i % nodeCount));
            run.Cookies.AddRange(cookies);
            await run.ConnectDashboardsAsync();
            return await run.DriveAsync(database);
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            PostgresServer.Shared.DropDatabase(database);
        }
    }

    private const string PublicBaseUrl = "https://helpline.test";

    /// <summary>Signs in through nginx, pinned to a node, and returns the staff cookie.</summary>
    private static async Task<string> SignInAsync(HttpClient http, Uri nginx, string email, int node)
    {
        using var page = new HttpRequestMessage(HttpMethod.Get, new Uri(nginx, "/sign-in"));
        page.Headers.Add(NginxServer.NodeHeader, node.ToString(CultureInfo.InvariantCulture));
        using var pageResponse = await http.SendAsync(page);
        pageResponse.EnsureSuccessStatusCode();
        var token = HelplineServer.AntiforgeryToken(await pageResponse.Content.ReadAsStringAsync());
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(nginx, "/sign-in"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = email,
                ["Password"] = HelplineServer.StaffPassword,
                ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add(NginxServer.NodeHeader, node.ToString(CultureInfo.InvariantCulture));
        post.Headers.Add("Cookie", string.Join("; ", HelplineServer.CookiesFrom(pageResponse).Where(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal))));
        using var response = await http.SendAsync(post);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Sign-in of {email} answered {(int)response.StatusCode}, not a redirect.");
        return HelplineServer.CookiesFrom(response).Single(c => c.StartsWith("helpline.staff=", StringComparison.Ordinal));
    }

    /// <summary>What a dashboard needs of a delta to tell which change it is.</summary>
    private sealed record Delta(long Version, string Kind, DeltaRow? Contact, long? RemovedContactId);

    private sealed record DeltaRow(long ContactId);

    /// <summary>One run's load, its dashboards and what they saw.</summary>
    private sealed class Run(Plan plan, List<AppNode> nodes, NginxServer nginx, HttpClient http, FakeTwilioApi twilio, HelplineServer admin)
    {
        private static readonly string[] Kinds = ["contact.queued", "contact.taken", "contact.answered", "contact.wrap-up", "contact.completed"];

        private readonly List<HubConnection> _dashboards = [];
        /// <summary>When the request that makes each change was sent (Stopwatch ticks), by contact and kind.</summary>
        private readonly ConcurrentDictionary<(long Contact, string Kind), long> _sent = new();
        /// <summary>How many dashboards received each change.</summary>
        private readonly ConcurrentDictionary<(long Contact, string Kind), int> _received = new();
        /// <summary>When that request was answered.</summary>
        private readonly ConcurrentDictionary<(long Contact, string Kind), long> _answered = new();
        private readonly Histogram _delivery = new();
        private readonly Histogram _fromSent = new();
        private readonly ConcurrentBag<double> _requests = [];
        private readonly ConcurrentQueue<(long Contact, string CallSid)> _waiting = new();
        private readonly ConcurrentDictionary<long, string> _advisorCalls = new();
        private int _failed;
        private int _queued;
        private int _completed;
        private int _reconnects;

        public List<string> Cookies { get; } = [];

        public async Task ConnectDashboardsAsync()
        {
            var started = Stopwatch.StartNew();
            for (var i = 0; i < plan.Clients; i++)
            {
                var node = i % nodes.Count;
                var cookie = Cookies[i % Cookies.Count];
                var connection = new HubConnectionBuilder()
                    .WithUrl(new Uri(nginx.BaseUri, "/hubs/queue"), options =>
                    {
                        options.Transports = HttpTransportType.WebSockets;
                        options.SkipNegotiation = true;
                        options.Headers["Cookie"] = cookie;
                        options.Headers[NginxServer.NodeHeader] = node.ToString(CultureInfo.InvariantCulture);
                    })
                    .WithAutomaticReconnect()
                    .Build();
                connection.On<Delta>("QueueChanged", Received);
                connection.On<Delta[]>("QueueChangedBatch", deltas =>
                {
                    foreach (var delta in deltas)
                        Received(delta);
                });
                connection.On<long>("Heartbeat", _ => { });
                connection.On<bool>("UpdatesDelayed", _ => { });
                connection.Reconnecting += _ =>
                {
                    Interlocked.Increment(ref _reconnects);
                    return Task.CompletedTask;
                };
                _dashboards.Add(connection);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await Parallel.ForEachAsync(_dashboards, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = timeout.Token },
                async (connection, ct) => await connection.StartAsync(ct));
            Console.WriteLine($"   {_dashboards.Count:N0} dashboards connected in {started.Elapsed.TotalSeconds:F1} s, {plan.Clients / nodes.Count:N0} or so per node");
        }

        private void Received(Delta delta)
        {
            var at = Stopwatch.GetTimestamp();
            if ((delta.Contact?.ContactId ?? delta.RemovedContactId) is not { } contact)
                return;
            var key = (contact, delta.Kind);
            if (!_sent.TryGetValue(key, out var sent))
                return;
            _fromSent.Add(at - sent);
            // A copy that arrives before the request's own answer counts as no delay.
            _delivery.Add(_answered.TryGetValue(key, out var answered) ? at - answered : 0);
            _received.AddOrUpdate(key, 1, (_, n) => n + 1);
        }

        public async Task<Result> DriveAsync(string database)
        {
            twilio.OnCallPlaced = (request, sid) =>
            {
                // The advisor's phone, as the app asked Twilio to ring it: …/bridge/advisor?contact=ID.
                if (request["Url"] is { } url && url.Contains("contact=", StringComparison.Ordinal))
                    _advisorCalls[long.Parse(url[(url.LastIndexOf('=') + 1)..], CultureInfo.InvariantCulture)] = sid;
                return Task.CompletedTask;
            };
            var cpuBefore = nodes.Select(n => CpuSeconds(n.ProcessId)).ToArray();
            var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(plan.Duration);
            var postgres = SamplePostgresAsync(database, stop.Token);
            var advisors = Enumerable.Range(0, Cookies.Count).Select(i => AdvisorAsync(Cookies[i], stop.Token)).ToList();
            var callers = new List<Task>();
            var interval = TimeSpan.FromSeconds(1 / plan.ContactsPerSecond);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                callers.Add(CallerAsync(n));
                var next = interval * (n + 1) - clock.Elapsed;
                if (next > TimeSpan.Zero)
                    await Task.Delay(next, CancellationToken.None);
                if (n % (int)(plan.ContactsPerSecond * 60) == 0 && n > 0)
                    Console.WriteLine($"   {clock.Elapsed.TotalMinutes:F0} min: {_queued:N0} queued, {_completed:N0} completed, {_waiting.Count} waiting to be taken, delta p99 so far {_delivery.Percentile(99):F0} ms");
            }
            var elapsed = clock.Elapsed;
            await Task.WhenAll(callers);
            await Task.WhenAll(advisors);
            // The last changes' copies are given a few seconds to arrive.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var cpu = nodes.Select((n, i) => (CpuSeconds(n.ProcessId) - cpuBefore[i]) / elapsed.TotalSeconds * 100).ToArray();
            var peak = nodes.Select(n => PeakMegabytes(n.ProcessId)).ToArray();
            var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds / elapsed.TotalSeconds * 100;
            var connections = await postgres;

            var expected = (long)_sent.Count * _dashboards.Count;
            var delivered = _received.Values.Sum(v => (long)v);
            var requests = _requests.ToArray();
            Console.WriteLine($"   dashboards that reconnected during the run: {_reconnects}");
            await Parallel.ForEachAsync(_dashboards, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (c, _) => await c.DisposeAsync());
            return new Result(nodes.Count, _dashboards.Count, _queued, _completed, delivered, expected, expected - delivered,
                _delivery.Percentile(50), _delivery.Percentile(99), _delivery.Max, _fromSent.Percentile(50), _fromSent.Percentile(99), Stats.Percentile(requests, 50), Stats.Percentile(requests, 99), _failed,
                cpu, peak, connections, clientCpu);
        }

        /// <summary>A caller dials a node (in turn) and presses 1: waiting in the queue.</summary>
        private async Task CallerAsync(long n)
        {
            try
            {
                var node = nodes[(int)(n % nodes.Count)];
                var sid = TwilioRequests.NewCallSid();
                var inbound = TwilioRequests.Inbound(sid, TwilioRequests.CallerNumber(n));
                await TwilioAsync(node, "/twilio/voice/incoming", inbound);
                var contact = await admin.ContactIdAsync(sid) ?? throw new InvalidOperationException("The incoming webhook stored no contact.");
                await ChangeAsync((contact, "contact.queued"), () => TwilioAsync(node, "/twilio/voice/menu?attempt=1", TwilioRequests.MenuKey(inbound, "1")));
                Interlocked.Increment(ref _queued);
                _waiting.Enqueue((contact, sid));
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                Interlocked.Increment(ref _failed);
            }
        }

        /// <summary>An advisor takes the next caller, answers, talks a moment, hangs up and completes; until the run ends.</summary>
        private async Task AdvisorAsync(string cookie, CancellationToken stop)
        {
            var random = new Random(cookie.GetHashCode());
            var node = 0;
            while (!stop.IsCancellationRequested)
            {
                if (!_waiting.TryDequeue(out var next))
                {
                    await Task.Delay(100, CancellationToken.None);
                    continue;
                }
                var (contact, callerSid) = next;
                var at = nodes[node++ % nodes.Count];
                try
                {
                    if (!await ChangeAsync((contact, "contact.taken"), () => StaffAsync(cookie, $"/api/contacts/{contact}/take", null)))
                        continue;
                    var advisorSid = await AdvisorCallAsync(contact);
                    await ChangeAsync((contact, "contact.answered"), () => TwilioAsync(at, $"/twilio/voice/bridge/advisor-status?contact={contact}", AdvisorLeg(advisorSid, "in-progress", 1)));
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1_000, 3_000)), CancellationToken.None);
                    await ChangeAsync((contact, "contact.wrap-up"), async () =>
                    {
                        await TwilioAsync(at, "/twilio/voice/status", new Dictionary<string, string>(TwilioRequests.Inbound(callerSid, "+12025550100")) { ["CallStatus"] = "completed", ["SequenceNumber"] = "3" });
                        await TwilioAsync(at, $"/twilio/voice/bridge/advisor-status?contact={contact}", AdvisorLeg(advisorSid, "completed", 2));
                    });
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 1_000)), CancellationToken.None);
                    if (await ChangeAsync((contact, "contact.completed"), () => StaffAsync(cookie, $"/api/contacts/{contact}/complete", new { disposition = "InformationGiven", notes = "Benchmark." })))
                        Interlocked.Increment(ref _completed);
                }
                catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
                {
                    Interlocked.Increment(ref _failed);
                }
            }
        }

        /// <summary>Runs the request(s) that make one change, noting when they were sent and answered.</summary>
        private async Task ChangeAsync((long, string) change, Func<Task> request)
        {
            _sent[change] = Stopwatch.GetTimestamp();
            await request();
            _answered[change] = Stopwatch.GetTimestamp();
        }

        private async Task<bool> ChangeAsync((long, string) change, Func<Task<bool>> request)
        {
            _sent[change] = Stopwatch.GetTimestamp();
            var made = await request();
            _answered[change] = Stopwatch.GetTimestamp();
            return made;
        }

        private async Task<string> AdvisorCallAsync(long contact)
        {
            for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(20))
            {
                if (_advisorCalls.TryGetValue(contact, out var sid))
                    return sid;
            }
            throw new InvalidOperationException($"No advisor call was placed for contact {contact}.");
        }

        private static Dictionary<string, string> AdvisorLeg(string callSid, string status, int sequence) => new()
        {
            ["CallSid"] = callSid,
            ["AccountSid"] = FakeTwilioApi.AccountSid,
            ["From"] = "+18005550100",
            ["To"] = "+15005550199",
            ["CallStatus"] = status,
            ["Direction"] = "outbound-api",
            ["SequenceNumber"] = sequence.ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>A webhook to one node, signed for the public URL as Twilio signs it.</summary>
        private async Task TwilioAsync(AppNode node, string pathAndQuery, IReadOnlyDictionary<string, string> form)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node.BaseUri, pathAndQuery)) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioRequests.Sign(TwilioRequests.AuthToken, PublicBaseUrl + pathAndQuery, form));
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            _requests.Add(Stats.Ms(Stopwatch.GetTimestamp() - started));
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{pathAndQuery} answered {(int)response.StatusCode}.");
        }

        /// <summary>A staff API call through nginx; false when the contact was no longer there to act on (409).</summary>
        private async Task<bool> StaffAsync(string cookie, string path, object? body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(nginx.BaseUri, path))
            {
                Content = body is null ? null : JsonContent(body),
            };
            request.Headers.Add("Cookie", cookie);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            _requests.Add(Stats.Ms(Stopwatch.GetTimestamp() - started));
            if (response.StatusCode == HttpStatusCode.Conflict)
                return false;
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}.");
            return true;
        }

        private static StringContent JsonContent(object body) =>
            new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

        /// <summary>The most connections PostgreSQL held for this database, sampled every 2 s.</summary>
        private static async Task<int> SamplePostgresAsync(string database, CancellationToken stop)
        {
            var most = 0;
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync(CancellationToken.None);
            while (!stop.IsCancellationRequested)
            {
                await using (var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()", connection))
                    most = Math.Max(most, Convert.ToInt32(await command.ExecuteScalarAsync(CancellationToken.None), CultureInfo.InvariantCulture) - 1);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return most;
        }
    }

    /// <summary>A process's user and system CPU time in seconds, from /proc (0 when it is gone).</summary>
    private static double CpuSeconds(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/stat"))
            return 0;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat (utime, stime), counted after the command's closing parenthesis.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>A process's peak resident memory (VmHWM) in MB.</summary>
    private static double PeakMegabytes(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/status"))
            return 0;
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>Delivery times in 0.1 ms steps up to 60 s; counted without locks, so 2,000 dashboards can add at once.</summary>
    private sealed class Histogram
    {
        private const double StepMs = 0.1;
        private readonly long[] _counts = new long[600_000];
        private long _maxTicks;

        public void Add(long ticks)
        {
            var ms = Stats.Ms(Math.Max(0, ticks));
            Interlocked.Increment(ref _counts[Math.Min(_counts.Length - 1, (int)(ms / StepMs))]);
            long seen;
            while (ticks > (seen = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, seen) != seen)
            {
            }
        }

        public double Max => Stats.Ms(Interlocked.Read(ref _maxTicks));

        public double Percentile(double p)
        {
            var total = _counts.Sum();
            if (total == 0)
                return double.NaN;
            var rank = (long)Math.Ceiling(p / 100 * total);
            long seen = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                seen += Volatile.Read(ref _counts[i]);
                if (seen >= rank)
                    return (i + 1) * StepMs;
            }
            return _counts.Length * StepMs;
        }
    }
}
