using System.Globalization;
using Helpline.Checks;
using Helpline.PostgresTests.Servers;

namespace Helpline.Benchmarks;

/// <summary>
/// Section 8, a callback surge (<c>-- --surge</c>, run only when asked): 2,000 web-form callbacks fall
/// due within one minute while calls and form posts keep arriving at about 50 a second, and 20
/// simulated advisors work the queue (<see cref="CallbackSurge"/>), on SQLite and on PostgreSQL,
/// <c>--surge-runs N</c> times each (the crash this answers was intermittent). Then the same surge
/// with the app in its own process, killed with SIGKILL at 30 % and 70 % queued and started again,
/// with signed webhooks arriving meanwhile (<see cref="CallbackCrashCheck"/>).
/// </summary>
internal static class SurgeBenchmark
{
    private static int Callbacks = 2000;
    private static readonly TimeSpan Over = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FirstIn = TimeSpan.FromSeconds(20);
    private static int Advisors = 20;
    private static int LoadPerSecond = 50;
    private static bool KillRuns = true;

    /// <summary>--surge-callbacks N, --surge-advisors N, --surge-load N (per second), --surge-no-kill: to look into one part.</summary>
    public static void Configure(string[] args)
    {
        int? Number(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : null;
        Callbacks = Number("--surge-callbacks") ?? Callbacks;
        Advisors = Number("--surge-advisors") ?? Advisors;
        LoadPerSecond = Number("--surge-load") ?? LoadPerSecond;
        KillRuns = !args.Contains("--surge-no-kill");
    }
    private const double P99TargetMs = 1000;

    public static async Task<bool> RunAsync(string directory, int runs, bool postgresOnly = false, bool sqliteOnly = false)
    {
        Console.WriteLine($"8. Callback surge: {Callbacks:N0} callbacks due within {Over.TotalSeconds:F0} s, other traffic {LoadPerSecond}/s (4 calls in, each hung up, to 1 form post), {Advisors} advisors; {runs} run(s) per database");
        Console.WriteLine($"   load average at start: {ScaleBenchmark.LoadAverage()}");
        var met = true;
        var databases = new List<string>();
        if (!postgresOnly)
            databases.Add("SQLite");
        if (!sqliteOnly)
        {
            PostgresServer.Durable = true;
            if (PostgresServer.Shared.Unavailable is { } missing)
                Console.WriteLine($"   PostgreSQL: skipped. {missing}");
            else
                databases.Add("PostgreSQL");
        }
        foreach (var database in databases)
        {
            var lateness = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                Console.WriteLine();
                Console.WriteLine($"   {database}, run {run} of {runs} (in process, on Kestrel)");
                var result = await InProcessAsync(Path.Combine(directory, $"surge-{database}-{run}"), database == "PostgreSQL");
                CallbackSurge.Print(result, Console.Out, P99TargetMs);
                var ok = Exact(result) && CallbackSurge.P99(result) < P99TargetMs;
                Console.WriteLine($"   each callback queued once, each caller rung once, none early, p99 < {P99TargetMs:F0} ms: {BenchmarkMain.Verdict(ok)}");
                met &= ok;
                lateness.AddRange(result.LatenessMs);
            }
            if (runs > 1)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   {database}, all {runs} runs: {lateness.Count:N0} callbacks, lateness p50 {Stats.Percentile(lateness, 50):F0} ms, p99 {Stats.Percentile(lateness, 99):F0} ms, max {lateness.Max():F0} ms"));
            }
        }

        foreach (var database in KillRuns ? databases : [])
        {
            Console.WriteLine();
            Console.WriteLine($"   {database}, the app in its own process killed with SIGKILL at 30 % and 70 % queued, webhooks arriving at {LoadPerSecond}/s");
            var folder = Path.Combine(directory, $"surge-kill-{database}");
            Directory.CreateDirectory(folder);
            var result = await new CallbackCrashCheck(folder, Console.Out, database == "PostgreSQL" ? PostgresServer.Shared.CreateDatabase() : null, WebhooksAsync)
                .RunAsync(Callbacks, Over, [0.3, 0.7], deadline: TimeSpan.FromMinutes(10));
            CallbackCrashCheck.Print(result, Console.Out);
            var ok = result.Queued == result.Callbacks && result.Lost == 0 && result.QueuedTwice == 0 && result.Early == 0;
            Console.WriteLine($"   every callback queued exactly once, none early: {BenchmarkMain.Verdict(ok)}");
            met &= ok;
        }
        return met;
    }

    private static bool Exact(CallbackSurge.Result result) =>
        result.Queued == result.Callbacks && result.QueuedTwice == 0 && result.Early == 0
        && result.Dialled == result.Callbacks && result.DialledTwice == 0 && result.Completed == result.Callbacks;

    private static async Task<CallbackSurge.Result> InProcessAsync(string folder, bool postgres)
    {
        Directory.CreateDirectory(folder);
        var settings = new Dictionary<string, string?> { ["Simulator:Enabled"] = "true" };
        if (postgres)
        {
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Helpline"] = PostgresServer.Shared.CreateDatabase();
        }
        await using var app = new HelplineServer(folder, settings: settings);
        app.Start();
        var surge = new CallbackSurge(app.Services, () => new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = app.BaseUri }, Console.Out);
        return await surge.RunAsync(
            new CallbackSurge.Plan(Callbacks, Over, FirstIn, Advisors, LoadPerSecond, HelplineServer.StaffPassword),
            async email =>
            {
                var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseUri };
                http.DefaultRequestHeaders.Add("Cookie", await app.SignInAsync(http, email));
                return http;
            },
            deadline: TimeSpan.FromMinutes(8));
    }

    /// <summary>Signed inbound webhooks, a new caller each, at a steady rate; refused connections (the app is down) are expected.</summary>
    private static async Task WebhooksAsync(Uri app, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = new Uri(app, "/twilio/voice/incoming");
        var inFlight = new List<Task>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0L; !stop.IsCancellationRequested; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / LoadPerSecond) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, stop);
            inFlight.RemoveAll(t => t.IsCompleted);
            if (inFlight.Count >= 64)
                continue;
            var form = TwilioRequests.Inbound(TwilioRequests.NewCallSid(), TwilioRequests.CallerNumber(i));
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioRequests.Sign(CallbackCrashCheck.AuthToken, url.ToString(), form));
            inFlight.Add(SendAsync(http, request));
        }

        static async Task SendAsync(HttpClient http, HttpRequestMessage request)
        {
            try
            {
                using (request)
                using (await http.SendAsync(request))
                {
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }
    }
}
