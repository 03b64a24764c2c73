using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Helpline.PostgresTests.Servers;
using Helpline.Tests.MultiNode;

namespace Helpline.Benchmarks;

/// <summary>
/// <c>--scale</c>: the signed inbound webhook (POST /twilio/voice/incoming, a new caller each time)
/// on SQLite against PostgreSQL (the app in this process on Kestrel, as section 1), then with one
/// node against two nodes (app processes, <c>dotnet Helpline.dll</c>) behind a real nginx on one
/// PostgreSQL and one Redis. Closed loop with 8 workers for throughput; open loop at a fixed offered
/// rate for p50/p99. PostgreSQL (Debian's, in a temp folder) syncs to disk as a real server does;
/// SQLite runs as shipped (WAL).
/// </summary>
internal static class ScaleBenchmark
{
    private const int Workers = 8;
    /// <summary>Offered in the open loop: below what every setup sustains on a 2-core machine, so p99 is latency, not a queue.</summary>
    private const int OfferedRate = 50;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ClosedLoop = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan OpenLoop = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string directory)
    {
        PostgresServer.Durable = true;
        if ((PostgresServer.Shared.Unavailable ?? RedisServer.Unavailable() ?? NginxServer.Unavailable()) is { } missing)
        {
            Console.WriteLine($"Scale: skipped. {missing}");
            return 0;
        }
        Console.WriteLine("Scale: signed POST /twilio/voice/incoming, fresh CallSid, a new caller per request");
        Console.WriteLine($"   closed loop {Workers} workers {ClosedLoop.TotalSeconds:F0} s (after {WarmUp.TotalSeconds:F0} s warm-up); open loop {OfferedRate} req/s offered for {OpenLoop.TotalSeconds:F0} s");
        Console.WriteLine($"   PostgreSQL on 127.0.0.1:{PostgresServer.Shared.Port} (durable: fsync on); all on this machine's {Environment.ProcessorCount} cores");
        Console.WriteLine($"   load average at start: {LoadAverage()}");

        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        }) { Timeout = TimeSpan.FromSeconds(30) };

        // 1. SQLite against PostgreSQL, the same in-process host.
        (PhaseResult Closed, PhaseResult Open) sqlite, postgres;
        await using (var app = new HelplineServer(Path.Combine(Directory.CreateDirectory(Path.Combine(directory, "sqlite")).FullName)))
        {
            app.Start();
            sqlite = await MeasureAsync(http, app.BaseUri, "in process, SQLite");
        }
        var database = PostgresServer.Shared.CreateDatabase();
        await using (var app = new HelplineServer(Path.Combine(Directory.CreateDirectory(Path.Combine(directory, "postgres")).FullName), settings: new()
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Helpline"] = database,
        }))
        {
            app.Start();
            postgres = await MeasureAsync(http, app.BaseUri, "in process, PostgreSQL");
        }

        // 2. One node against two, processes behind nginx, on PostgreSQL and Redis.
        await using var redis = await RedisServer.StartAsync();
        var clusterDatabase = PostgresServer.Shared.CreateDatabase();
        var environment = NodeEnvironment(clusterDatabase, redis.ConnectionString);
        await using var nodeA = new AppNode("A", LocalServer.FreePort(), environment);
        await using var nodeB = new AppNode("B", LocalServer.FreePort(), environment);
        await nodeA.StartAsync();
        await nodeB.StartAsync();
        (PhaseResult Closed, PhaseResult Open) one, two;
        await using (var nginx = await NginxServer.StartAsync([nodeA.Port]))
            one = await MeasureAsync(http, nginx.BaseUri, "nginx + 1 node, PostgreSQL");
        await using (var nginx = await NginxServer.StartAsync([nodeA.Port, nodeB.Port]))
            two = await MeasureAsync(http, nginx.BaseUri, "nginx + 2 nodes, PostgreSQL");

        BenchmarkMain.PrintTable([sqlite.Closed, postgres.Closed, one.Closed, two.Closed, sqlite.Open, postgres.Open, one.Open, two.Open]);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   PostgreSQL / SQLite (in process):  throughput {postgres.Closed.PerSecond:F0} / {sqlite.Closed.PerSecond:F0} = {postgres.Closed.PerSecond / sqlite.Closed.PerSecond:F2}; p99 at {OfferedRate} req/s {postgres.Open.Percentile(99):F1} / {sqlite.Open.Percentile(99):F1} ms = {postgres.Open.Percentile(99) / sqlite.Open.Percentile(99):F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   two nodes / one node (nginx):      throughput {two.Closed.PerSecond:F0} / {one.Closed.PerSecond:F0} = {two.Closed.PerSecond / one.Closed.PerSecond:F2}; p99 at {OfferedRate} req/s {two.Open.Percentile(99):F1} / {one.Open.Percentile(99):F1} ms = {two.Open.Percentile(99) / one.Open.Percentile(99):F2}"));
        Console.WriteLine($"   load average at the end: {LoadAverage()} (other work on the machine moves every figure)");
        Console.WriteLine($"   (client, nginx, PostgreSQL, Redis and the nodes share {Environment.ProcessorCount} cores: a second node adds no CPU, only a second process's threads and connections)");
        PostgresServer.Shared.DropDatabase(database);
        PostgresServer.Shared.DropDatabase(clusterDatabase);
        await PostgresServer.Shared.DisposeAsync();
        return 0;
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static async Task<(PhaseResult Closed, PhaseResult Open)> MeasureAsync(HttpClient http, Uri baseUri, string name)
    {
        var load = new Load(http, new Uri(baseUri, "/twilio/voice/incoming"));
        await load.ClosedLoopAsync("warm-up", Workers, WarmUp);
        var closed = await load.ClosedLoopAsync($"{name}, closed", Workers, ClosedLoop);
        var open = await load.OpenLoopAsync($"{name}, {OfferedRate}/s", OfferedRate, OpenLoop);
        return (closed, open);
    }

    /// <summary>What deploy/ gives each node: Production, PostgreSQL, Redis, the same keys, the line open all day.</summary>
    internal static Dictionary<string, string> NodeEnvironment(string database, string redis)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Helpline"] = database,
            ["ConnectionStrings__Redis"] = redis,
            ["Encryption__KeyFile"] = "",
            ["Encryption__CurrentKeyId"] = "bench1",
            ["Encryption__Keys__bench1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Encryption__BlindIndexKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Twilio__AuthToken"] = TwilioRequests.AuthToken,
            ["Twilio__AccountSid"] = "AC" + new string('0', 32),
            ["Helpline__Name"] = "the Benchmark Helpline",
            ["Helpline__HotlineNumber"] = "+18005550100",
            ["Helpline__CrisisLineNumber"] = "+18002738255",
            ["Helpline__TimeZone"] = "America/New_York",
            ["Disclosure__Version"] = "bench-2026-11",
            ["Disclosure__English"] = "This line is answered by trained advisors of a non-profit helpline. No treatment provider pays for your call.",
            ["Disclosure__Spanish"] = "Esta línea la atienden consejeros capacitados de una línea sin fines de lucro. Ningún proveedor de tratamiento paga por su llamada.",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var day in Enum.GetNames<DayOfWeek>())
            environment[$"Helpline__OpeningHours__{day}"] = "00:00-24:00";
        return environment;
    }
}
