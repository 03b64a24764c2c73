using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Helpline.Accounts;
using Helpline.Chat;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Benchmarks;

/// <summary>
/// <c>--chat</c>: many web chats at once, each person typing and sending every few seconds, timed from
/// the person's <c>Send</c> on the chat hub to the moment their advisor's staff-hub connection holds
/// the message. The app runs on its default SQLite (<see cref="HelplineServer"/>); each person opens
/// the chat page, starts a chat with its antiforgery token, trades the secret for a token and joins
/// on WebSockets with the real SignalR client; each advisor is their own staff account with their own
/// staff-hub connection and takes their chats through the staff API. In the same run, the same people
/// and pacing against a bare SignalR relay (<see cref="BareChatServer"/>) give the floor the p99 is
/// compared with. Everything listens on 127.0.0.1; the run is bounded by its duration and counts.
/// </summary>
/// <remarks>
/// Each person's chat is started from its own loopback address (127.1.x.y, bound on the client side),
/// as people chat from their own addresses: the app's per-address limits and the per-address count it
/// makes on every message see one person each, and all three chat limits stay at their defaults.
/// <c>--chat-one-address</c> starts every chat from 127.0.0.1 instead and raises the per-address
/// limits so the run is not refused (a whole office behind one address).
/// </remarks>
internal static class ChatBenchmark
{
    private const double P99TargetMs = 200;

    /// <summary>A person's messages come this far apart, at random in between.</summary>
    private const int MinIntervalMs = 2_000;
    private const int MaxIntervalMs = 4_000;

    /// <summary>After the window: how long messages already sent may take to arrive before they count as lost.</summary>
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    internal sealed record Plan(int Clients, TimeSpan Window, TimeSpan WarmUp, int PerAdvisor, bool OneAddress)
    {
        public int Advisors => (Clients + PerAdvisor - 1) / PerAdvisor;

        public static Plan From(string[] args)
        {
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            var plan = new Plan(
                Clients: Value("--chat-clients") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 500,
                Window: TimeSpan.FromSeconds(Value("--chat-seconds") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : 60),
                WarmUp: TimeSpan.FromSeconds(5),
                PerAdvisor: Value("--chat-per-advisor") is { } k ? int.Parse(k, CultureInfo.InvariantCulture) : 2,
                OneAddress: args.Contains("--chat-one-address"));
            if (plan.Clients is < 1 or > 10_000 || plan.Window <= TimeSpan.Zero || plan.Window > TimeSpan.FromMinutes(30) || plan.PerAdvisor is < 1 or > 10)
                throw new ArgumentException("--chat-clients 1 to 10,000, --chat-seconds up to 1,800, --chat-per-advisor 1 to 10 (the app's own bounds).");
            return plan;
        }
    }

    public static async Task<int> RunAsync(string directory, string[] args)
    {
        var plan = Plan.From(args);
        Console.WriteLine($"Web chat: {plan.Clients} people on /hubs/chat, {plan.Advisors} advisors ({plan.PerAdvisor} chats each) on /hubs/queue, all WebSockets with the real SignalR client");
        Console.WriteLine($"   each person: Typing() then a message every {MinIntervalMs / 1000}-{MaxIntervalMs / 1000} s (uniform jitter, first at a random point), {plan.WarmUp.TotalSeconds:F0} s warm-up then {plan.Window.TotalSeconds:F0} s measured, then up to {Drain.TotalSeconds:F0} s for the last to arrive");
        Console.WriteLine("   latency: the person's Send call -> the advisor's connection receives the ChatMessage with the same clientMessageId");
        Console.WriteLine($"   {RuntimeInformationLine()}; load average at start: {ScaleBenchmark.LoadAverage()}");
        Console.WriteLine("   client, app and baseline share this one process and its cores; traffic on loopback only");

        Result baseline;
        Console.WriteLine();
        Console.WriteLine("   baseline: bare Kestrel + one SignalR hub relaying person -> paired advisor (no database, no auth), the same clients and pacing");
        await using (var bare = await BareChatServer.StartAsync(directory, plan.PerAdvisor))
            baseline = await RunBaselineAsync(bare, plan);

        Result app;
        Console.WriteLine();
        var settings = new Dictionary<string, string?>
        {
            ["Chat:MaxConversationsPerAdvisor"] = plan.PerAdvisor.ToString(CultureInfo.InvariantCulture),
            // Every advisor signs in from 127.0.0.1.
            ["SignIn:PerAddressPerWindow"] = "10000",
        };
        if (plan.OneAddress)
        {
            settings["Chat:StartsPerAddressPerTenMinutes"] = (plan.Clients + 10).ToString(CultureInfo.InvariantCulture);
            settings["Chat:AddressMessagesPerMinute"] = "1000000";
        }
        await using (var server = new HelplineServer(Directory.CreateDirectory(Path.Combine(directory, "app")).FullName, settings: settings))
        {
            server.Start();
            Console.WriteLine($"   app: the real app, SQLite {server.DatabasePath} (journal_mode={await BaselineServer.PragmaAsync(server.DatabasePath, "journal_mode")})");
            Console.WriteLine(plan.OneAddress
                ? $"   chat limits: every chat from 127.0.0.1, so Chat:StartsPerAddressPerTenMinutes raised to {plan.Clients + 10} and Chat:AddressMessagesPerMinute to 1,000,000; Chat:PersonMessagesPerMinute at its default (30)"
                : "   chat limits: all at their defaults (30 a person, 90 an address a minute, 5 starts an address in ten minutes); each chat started from its own address 127.1.x.y");
            Console.WriteLine($"   Chat:MaxConversationsPerAdvisor {plan.PerAdvisor}{(plan.PerAdvisor == 2 ? " (the default)" : " (set for this run; default 2)")}; SignIn:PerAddressPerWindow raised to 10,000 (every advisor signs in from 127.0.0.1)");
            app = await RunAppAsync(server, plan);
        }

        Console.WriteLine();
        Console.WriteLine($"   {"ms, Send -> advisor holds it",-30} {"measured",8} {"p50",7} {"p95",7} {"p99",7} {"max",7} {"msg/s",7} {"lost",5} {"dup",5} {"wrong",5} {"refused",7} {"errors",6} {"late",5} {"CPU %",5}");
        baseline.Print("baseline (bare hub)");
        app.Print("app");
        Console.WriteLine("   (measured: messages due in the measured window; lost: sent, never reached the advisor; dup: reached them more than once; wrong: reached another advisor;");
        Console.WriteLine("    refused: an outcome other than Sent; errors: the Send call failed; late: Sends that started more than 100 ms after they were due;");
        Console.WriteLine($"    CPU %: this whole process over the window, clients included, in % of one core of {Environment.ProcessorCount})");
        Console.WriteLine($"   msg/s: measured messages that reached their advisor while the window was open ({plan.Clients} people offer about {plan.Clients / ((MinIntervalMs + MaxIntervalMs) / 2000.0):F0}/s)");
        Console.WriteLine($"   p99 from when the message was due (includes a late Send's wait behind the previous one): baseline {baseline.FromDueP99:F1} ms, app {app.FromDueP99:F1} ms");
        Console.WriteLine($"   CPU with every connection open and nothing sent (3 s before the run): baseline {baseline.IdleCpu:F0} %, app {app.IdleCpu:F0} % of one core");
        Console.WriteLine($"   Send's own answer to the person, p50 / p99: baseline {baseline.AnswerP50:F1} / {baseline.AnswerP99:F1} ms, app {app.AnswerP50:F1} / {app.AnswerP99:F1} ms");
        Console.WriteLine($"   typing signs reaching the advisors: baseline {baseline.TypingSeen:N0} of {baseline.TypingSent:N0} sent, app {app.TypingSeen:N0} of {app.TypingSent:N0} (the app passes on one in 2 s a connection)");
        if (app.RefusedBy.Count > 0)
            Console.WriteLine($"   app refusals: {string.Join(", ", app.RefusedBy.Select(r => $"{r.Key} {r.Value}"))}");
        if ((app.FirstError ?? baseline.FirstError) is { } error)
            Console.WriteLine($"   first error: {error}");
        Console.WriteLine();
        var ratio = app.P99 / baseline.P99;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   p99 ratio app/baseline: {app.P99:F1} / {baseline.P99:F1} = {ratio:F1}x   (p50 {app.P50 / baseline.P50:F1}x)"));
        var delivered = app.Lost == 0 && app.Duplicated == 0 && app.WrongAdvisor == 0;
        Console.WriteLine($"   app p99, Send -> advisor's screen: {app.P99:F1} ms   (target < {P99TargetMs:F0} ms)  {BenchmarkMain.Verdict(app.P99 < P99TargetMs && delivered)}");
        Console.WriteLine($"   every message the app took reached its advisor exactly once: {BenchmarkMain.Verdict(delivered)}");
        Console.WriteLine($"   load average at the end: {ScaleBenchmark.LoadAverage()} (other work on the machine moves every figure)");
        // The target is reported, not asserted, as in sections 1 to 5; a run that could not be set up has thrown.
        return 0;
    }

    private static string RuntimeInformationLine() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} cores, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";

    private static async Task<Result> RunBaselineAsync(BareChatServer bare, Plan plan)
    {
        var load = new ChatLoad(plan);
        var hubUrl = new Uri(bare.BaseUri, "/hubs/chat");
        var setup = Stopwatch.StartNew();
        var advisors = new List<HubConnection>();
        try
        {
            for (var a = 0; a < plan.Advisors; a++)
            {
                var advisor = a;
                var hub = Connection(hubUrl, configure: null);
                load.ListenAsAdvisor(hub, advisor);
                advisors.Add(hub);
            }
            await ForEachAsync(advisors, async (hub, a, ct) =>
            {
                await hub.StartAsync(ct);
                await hub.InvokeAsync("Advise", a, ct);
            });
            var people = Enumerable.Range(0, plan.Clients).Select(_ => Connection(hubUrl, configure: null)).ToList();
            load.People.AddRange(people);
            await ForEachAsync(people, async (hub, p, ct) =>
            {
                await hub.StartAsync(ct);
                await hub.InvokeAsync("Join", p, ct);
            });
            Console.WriteLine($"   baseline: {plan.Advisors} advisor and {plan.Clients} person connections in {setup.Elapsed.TotalSeconds:F1} s; running");
            return await load.RunAsync();
        }
        finally
        {
            await DisposeAllAsync(load.People.Concat(advisors));
        }
    }

    private static async Task<Result> RunAppAsync(HelplineServer server, Plan plan)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        }) { Timeout = TimeSpan.FromSeconds(60) };
        var load = new ChatLoad(plan);
        var advisors = new List<HubConnection>();
        var people = new HubConnection[plan.Clients];
        var deltas = 0;
        try
        {
            var setup = Stopwatch.StartNew();
            var emails = Enumerable.Range(1, plan.Advisors).Select(i => $"chat-{i}@helpline.example").ToArray();
            await ForEachAsync(emails, async (email, _, _) => await server.CreateStaffAsync(email, Roles.Advisor, available: true));
            var cookies = new string[emails.Length];
            await ForEachAsync(emails, async (email, a, _) => cookies[a] = await server.SignInAsync(http, email));
            Console.WriteLine($"   {plan.Advisors} advisors created and signed in in {setup.Elapsed.TotalSeconds:F1} s");

            var staffHub = new Uri(server.BaseUri, "/hubs/queue");
            for (var a = 0; a < plan.Advisors; a++)
            {
                // The staff cookie is Secure (Production); over loopback HTTP it is sent by hand, as a header.
                var cookie = cookies[a];
                var hub = Connection(staffHub, options => options.Headers["Cookie"] = cookie);
                load.ListenAsAdvisor(hub, a);
                hub.On<JsonElement>("QueueChanged", _ => Interlocked.Increment(ref deltas));
                hub.On<JsonElement>("QueueChangedBatch", batch => Interlocked.Add(ref deltas, batch.GetArrayLength()));
                hub.On<long>("Heartbeat", _ => { });
                hub.On<bool>("UpdatesDelayed", _ => { });
                hub.On<long, int>("ChatRead", (_, _) => { });
                advisors.Add(hub);
            }
            await ForEachAsync(advisors, async (hub, _, ct) => await hub.StartAsync(ct));
            Console.WriteLine($"   {plan.Advisors} staff-hub connections open ({setup.Elapsed.TotalSeconds:F1} s)");

            var contacts = new long[plan.Clients];
            var chatHub = new Uri(server.BaseUri, "/hubs/chat");
            await ForEachAsync(Enumerable.Range(0, plan.Clients).ToList(), async (p, _, ct) =>
            {
                var secret = await StartChatAsync(server, plan.OneAddress ? IPAddress.Loopback : PersonAddress(p), ct);
                var hub = Connection(chatHub, options => options.AccessTokenProvider = async () => await TokenAsync(http, server, secret));
                hub.On<ChatMessageView>("Message", _ => { });
                hub.On<ChatStatusView>("Status", _ => { });
                hub.On("Typing", () => { });
                hub.On<int>("Read", _ => { });
                people[p] = hub;
                await hub.StartAsync(ct);
                var joined = await hub.InvokeAsync<ChatJoinView>("Join", 0, ct);
                contacts[p] = joined.Status.ContactId;
            });
            load.People.AddRange(people);
            Console.WriteLine($"   {plan.Clients} chats started and joined ({setup.Elapsed.TotalSeconds:F1} s)");

            // Advisor a takes the people a*K .. a*K+K-1, in turn; the advisors take side by side.
            await ForEachAsync(Enumerable.Range(0, plan.Advisors).ToList(), async (a, _, ct) =>
            {
                for (var p = a * plan.PerAdvisor; p < Math.Min(plan.Clients, (a + 1) * plan.PerAdvisor); p++)
                {
                    using var take = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, $"/api/contacts/{contacts[p]}/take"));
                    take.Headers.Add("Cookie", cookies[a]);
                    using var response = await http.SendAsync(take, ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                        throw new InvalidOperationException($"Advisor {a + 1} could not take chat {contacts[p]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }
            });
            Console.WriteLine($"   every chat taken by its advisor ({setup.Elapsed.TotalSeconds:F1} s)");

            // Every start and take is a queue change sent to every dashboard (each advisor's connection):
            // the app's broadcaster sends them one after another, after the requests were answered.
            // The window starts once none has arrived for a second, so the setup's backlog is not measured.
            var seen = -1;
            for (var settle = Stopwatch.StartNew(); settle.Elapsed < TimeSpan.FromMinutes(3) && Volatile.Read(ref deltas) != seen;)
            {
                seen = Volatile.Read(ref deltas);
                await Task.Delay(1_000);
            }
            Console.WriteLine($"   dashboards settled: {seen:N0} queue deltas received by the {plan.Advisors} staff connections ({setup.Elapsed.TotalSeconds:F1} s); running");
            return await load.RunAsync();
        }
        finally
        {
            await DisposeAllAsync(people.Concat(advisors));
        }
    }

    /// <summary>What the chat page does: the page (its antiforgery token and cookie), then the start, from <paramref name="address"/>; returns the secret.</summary>
    private static async Task<string> StartChatAsync(HelplineServer server, IPAddress address, CancellationToken cancellationToken)
    {
        using var browser = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectCallback = (context, ct) => ConnectFromAsync(address, context.DnsEndPoint, ct),
        });
        using var page = await browser.GetAsync(new Uri(server.BaseUri, "/chat"), cancellationToken);
        page.EnsureSuccessStatusCode();
        var token = HelplineServer.AntiforgeryToken(await page.Content.ReadAsStringAsync(cancellationToken));
        using var start = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, "/chat/api/start"))
        {
            Content = JsonContent.Create(new { nickname = (string?)null, lang = "en" }),
        };
        start.Headers.Add("RequestVerificationToken", token);
        start.Headers.Add("Cookie", string.Join("; ", HelplineServer.CookiesFrom(page)));
        using var response = await browser.SendAsync(start, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"A chat from {address} did not start: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        return (await response.Content.ReadFromJsonAsync<ChatApi.StartResponse>(Json, cancellationToken))!.Secret;
    }

    /// <summary>What the page does before each connection: the secret for a fresh, short-lived token.</summary>
    private static async Task<string?> TokenAsync(HttpClient http, HelplineServer server, string secret)
    {
        using var response = await http.PostAsJsonAsync(new Uri(server.BaseUri, "/chat/api/token"), new { secret });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ChatApi.TokenResponse>(Json))!.Token;
    }

    /// <summary>A loopback address of its own for person <paramref name="p"/>: 127.1.x.y (Linux routes all of 127/8 to the loopback device).</summary>
    private static IPAddress PersonAddress(int p) => new([127, 1, (byte)(1 + p / 250), (byte)(1 + p % 250)]);

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress local, DnsEndPoint server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(server, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A real SignalR client on WebSockets only (no negotiate round trip), JSON with enums as names as the app's hubs send them.</summary>
    private static HubConnection Connection(Uri url, Action<HttpConnectionOptions>? configure) => new HubConnectionBuilder()
        .WithUrl(url, HttpTransportType.WebSockets, options =>
        {
            options.SkipNegotiation = true;
            configure?.Invoke(options);
        })
        .AddJsonProtocol(options => options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    /// <summary>Runs <paramref name="work"/> for each item, 16 at a time, within five minutes altogether (password hashing for hundreds of advisors on a busy 2-core machine is slow).</summary>
    private static async Task ForEachAsync<T>(IReadOnlyList<T> items, Func<T, int, CancellationToken, Task> work)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = timeout.Token },
            async (i, ct) => await work(items[i], i, ct));
    }

    private static async Task DisposeAllAsync(IEnumerable<HubConnection> connections) =>
        await Parallel.ForEachAsync(connections.Where(c => c is not null).ToList(), new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (c, _) => await c.DisposeAsync());

    /// <summary>One side's figures.</summary>
    internal sealed record Result(
        int Measured, double P50, double P95, double P99, double Max, double PerSecond, double FromDueP99, double Cpu, double IdleCpu, int Lost, int Duplicated, int WrongAdvisor,
        int Refused, int Errors, int Late, double AnswerP50, double AnswerP99, int TypingSent, int TypingSeen,
        IReadOnlyDictionary<SendOutcome, int> RefusedBy, string? FirstError)
    {
        public void Print(string name) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {name,-30} {Measured,8} {P50,7:F1} {P95,7:F1} {P99,7:F1} {Max,7:F1} {PerSecond,7:F0} {Lost,5} {Duplicated,5} {WrongAdvisor,5} {Refused,7} {Errors,6} {Late,5} {Cpu,5:F0}"));
    }

    /// <summary>
    /// The people's paced messages and what the advisors' connections receive, for one side (app or
    /// baseline). Person p's advisor is p / K (K chats each); each message has its own clientMessageId,
    /// so an arrival is matched to its sending, its advisor checked, and a second arrival counted.
    /// </summary>
    private sealed class ChatLoad(Plan plan)
    {
        private sealed class Sending(int person, long due, long at, bool measured)
        {
            public int Person { get; } = person;
            public long Due { get; } = due;
            public long At { get; } = at;
            public bool Measured { get; } = measured;
            public bool Accepted;
            public int Arrivals;
        }

        private readonly ConcurrentDictionary<string, Sending> _sent = new();
        private readonly ConcurrentBag<double> _latencies = [];
        private readonly ConcurrentBag<double> _fromDue = [];
        private readonly ConcurrentBag<long> _arrivals = [];
        private readonly ConcurrentBag<double> _answers = [];
        private readonly ConcurrentDictionary<SendOutcome, int> _refused = new();
        private int _wrongAdvisor;
        private int _errors;
        private int _late;
        private int _typingSent;
        private int _typingSeen;
        private int _unknown;
        private string? _firstError;

        public List<HubConnection> People { get; } = [];

        /// <summary>Advisor <paramref name="advisor"/>'s connection: each person's message it receives is matched to its sending.</summary>
        public void ListenAsAdvisor(HubConnection hub, int advisor)
        {
            hub.On<ChatMessageView>("ChatMessage", message =>
            {
                var at = Stopwatch.GetTimestamp();
                if (message.Sender != ChatSender.Person)
                    return;
                if (message.ClientMessageId is null || !_sent.TryGetValue(message.ClientMessageId, out var sending))
                {
                    Interlocked.Increment(ref _unknown);
                    return;
                }
                if (sending.Person / plan.PerAdvisor != advisor)
                    Interlocked.Increment(ref _wrongAdvisor);
                if (Interlocked.Increment(ref sending.Arrivals) != 1)
                    return;
                _arrivals.Add(at);
                if (sending.Measured)
                {
                    _latencies.Add(Stats.Ms(at - sending.At));
                    _fromDue.Add(Stats.Ms(at - sending.Due));
                }
            });
            hub.On<long>("ChatTyping", _ => Interlocked.Increment(ref _typingSeen));
        }

        public async Task<Result> RunAsync()
        {
            // What the process costs with every connection open and nothing said (background work, heartbeats).
            var idleFrom = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.Delay(TimeSpan.FromSeconds(3));
            var idleCpu = (Process.GetCurrentProcess().TotalProcessorTime - idleFrom).TotalSeconds / 3 * 100;

            var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
            var measureFrom = start + (long)(plan.WarmUp.TotalSeconds * Stopwatch.Frequency);
            var end = measureFrom + (long)(plan.Window.TotalSeconds * Stopwatch.Frequency);
            var people = Task.WhenAll(People.Select((hub, p) => Task.Run(() => PersonAsync(hub, p, start, measureFrom, end))));
            // This process's CPU time over the measured window (client and server share it), as % of one core.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, Stats.Ms(measureFrom - Stopwatch.GetTimestamp()))));
            var cpuFrom = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, Stats.Ms(end - Stopwatch.GetTimestamp()))));
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuFrom).TotalSeconds / plan.Window.TotalSeconds * 100;
            await people;

            // The last messages may still be on their way.
            var accepted = _sent.Values.Where(s => Volatile.Read(ref s.Accepted)).ToList();
            for (var wait = Stopwatch.StartNew(); wait.Elapsed < Drain && accepted.Any(s => Volatile.Read(ref s.Arrivals) == 0);)
                await Task.Delay(50);

            var latencies = _latencies.Order().ToArray();
            var measured = _sent.Values.Count(s => s.Measured);
            return new Result(
                Measured: measured,
                P50: Stats.Percentile(latencies, 50),
                P95: Stats.Percentile(latencies, 95),
                P99: Stats.Percentile(latencies, 99),
                Max: latencies.Length == 0 ? double.NaN : latencies[^1],
                // Delivered while the window was open: what the side kept up with, not what was offered.
                PerSecond: _arrivals.Count(a => a >= measureFrom && a < end) / plan.Window.TotalSeconds,
                FromDueP99: Stats.Percentile(_fromDue, 99),
                Cpu: cpu,
                IdleCpu: idleCpu,
                Lost: accepted.Count(s => s.Arrivals == 0),
                Duplicated: accepted.Count(s => s.Arrivals > 1),
                WrongAdvisor: _wrongAdvisor,
                Refused: _refused.Values.Sum(),
                Errors: _errors,
                Late: _late,
                AnswerP50: Stats.Percentile(_answers, 50),
                AnswerP99: Stats.Percentile(_answers, 99),
                TypingSent: _typingSent,
                TypingSeen: _typingSeen,
                RefusedBy: new Dictionary<SendOutcome, int>(_refused),
                FirstError: _firstError ?? (_unknown > 0 ? $"{_unknown} messages arrived that no person sent" : null));
        }

        /// <summary>
        /// One person: a message every 2 to 4 s (their own seeded random), the first at a random point
        /// of the first interval; "typing" between half a second and one and a half before each. A
        /// message is due at its time; a Send still awaiting its answer delays the next (a page waits
        /// for its message to be taken), and a Send that starts over 100 ms late is counted.
        /// </summary>
        private async Task PersonAsync(HubConnection hub, int p, long start, long measureFrom, long end)
        {
            var random = new Random(7919 * (p + 1));
            var due = start + Ticks(random.Next(0, MaxIntervalMs));
            for (var n = 0; due < end; n++, due += Ticks(random.Next(MinIntervalMs, MaxIntervalMs + 1)))
            {
                var typingAt = due - Ticks(random.Next(500, 1_500));
                await DelayUntilAsync(typingAt);
                try
                {
                    await hub.SendAsync("Typing");
                    Interlocked.Increment(ref _typingSent);
                }
                catch (Exception e)
                {
                    Failed(e);
                }
                await DelayUntilAsync(due);
                var id = $"bench-{p}-{n}";
                var text = Texts[random.Next(Texts.Length)];
                var sending = new Sending(p, due, Stopwatch.GetTimestamp(), measured: due >= measureFrom);
                if (Stats.Ms(sending.At - due) > 100)
                    Interlocked.Increment(ref _late);
                _sent[id] = sending;
                try
                {
                    var answer = await hub.InvokeAsync<ChatSendView>("Send", id, text);
                    if (sending.Measured)
                        _answers.Add(Stats.Ms(Stopwatch.GetTimestamp() - sending.At));
                    if (answer.Outcome == SendOutcome.Sent)
                        Volatile.Write(ref sending.Accepted, true);
                    else
                        _refused.AddOrUpdate(answer.Outcome, 1, (_, c) => c + 1);
                }
                catch (Exception e)
                {
                    Failed(e);
                }
            }
        }

        private void Failed(Exception e)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstError, $"{e.GetType().Name}: {e.Message}", null);
        }

        private static long Ticks(int ms) => ms * Stopwatch.Frequency / 1000;

        private static async Task DelayUntilAsync(long at)
        {
            var wait = Stats.Ms(at - Stopwatch.GetTimestamp());
            if (wait > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }
    }

    /// <summary>What people write, of the lengths they write it; none has a word of danger (that would also raise the chat, a queue change).</summary>
    private static readonly string[] Texts =
    [
        "Hi, is anyone there?",
        "I'm asking for my brother. He has been drinking every day since he lost his job.",
        "ok",
        "Thank you. What kind of treatment would he even qualify for without insurance?",
        "I tried to stop on my own last year and it lasted about two weeks. I don't know what to do differently this time.",
        "Do I need a referral from a doctor first?",
        "We live about an hour from the city, is there anything closer?",
        "yes",
        "Sorry, my phone died for a second. I'm back now. You were saying something about outpatient programs, could you explain how those work and how often I'd have to go?",
        "How long is the waiting list usually?",
    ];
}
