using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using System.Globalization;
using Helpline.PostgresTests.Servers;
using Helpline.Reports;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Benchmarks;

/// <summary>
/// The supervisors' report at size: a million made-up contacts over a year (the app's own seeding,
/// <c>seed contacts</c>, which also counts the past days as the recurring job keeps them), then the
/// whole report (every table of the page) for the last 30 and the last 365 days, several times
/// each, and the page itself over HTTP. Also: the same report counted entirely live (a filter the
/// kept counts do not carry forces that), and the recount of every past day from scratch.
/// On SQLite (<c>--reports</c>; with <c>--reports-data DIR</c> a folder seeded by an earlier run is
/// used again, its helpline.db) or on a private PostgreSQL that syncs to disk (<c>--reports-postgres</c>,
/// seeded afresh each run). <c>--reports-contacts N</c> seeds fewer (or more) for a quick look.
/// </summary>
internal static class ReportsBenchmark
{
    public const int DefaultContacts = 1_000_000;
    private const int Days = 365;
    private const int Runs = 7;
    private static readonly (int Days, double TargetMs)[] Ranges = [(30, 300), (365, 2000)];

    public static async Task RunAsync(string directory, string? reuse, bool postgres = false, int count = DefaultContacts)
    {
        var folder = reuse ?? Path.Combine(directory, postgres ? "reports-postgres" : "reports");
        Directory.CreateDirectory(folder);
        var settings = new Dictionary<string, string?> { ["Hangfire:ServerEnabled"] = "false" };
        string? database = null;
        if (postgres)
        {
            PostgresServer.Durable = true;
            if (PostgresServer.Shared.Unavailable is { } missing)
            {
                Console.WriteLine($"5. Reports on PostgreSQL: skipped. {missing}");
                return;
            }
            database = PostgresServer.Shared.CreateDatabase();
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Helpline"] = database;
        }
        var seeded = !postgres && File.Exists(Path.Combine(folder, "helpline.db"));
        Console.WriteLine($"5. Reports{(postgres ? " on PostgreSQL" : " on SQLite")}: {count:N0} made-up contacts over {Days} days; the whole report for the last 30 and 365 days ({Runs} runs each, the first not counted)");
        if (database is not null)
            Console.WriteLine($"   PostgreSQL on 127.0.0.1:{PostgresServer.Shared.Port} (durable: fsync on), database {new Npgsql.NpgsqlConnectionStringBuilder(database).Database}");
        Console.WriteLine($"   load average at start: {ScaleBenchmark.LoadAverage()}");
        await using var app = new HelplineServer(folder, settings: settings);
        app.Start();
        if (!seeded)
        {
            var clock = Stopwatch.StartNew();
            var written = TimeSpan.Zero;
            await using var scope = app.Services.CreateAsyncScope();
            var result = await SeedContacts.SeedAsync(scope.ServiceProvider, count, Days, new Written(n => { if (n == count) written = clock.Elapsed; }));
            Console.WriteLine($"   seeded {result.Contacts:N0} contacts, {result.Callbacks:N0} callbacks, {result.PresenceSpans:N0} presence spans in {clock.Elapsed.TotalSeconds:F0} s " +
                              $"(rows written in {written.TotalSeconds:F0} s, past days counted in {(clock.Elapsed - written).TotalSeconds:F0} s; {(postgres ? "PostgreSQL" : folder)})");
        }
        else
        {
            Console.WriteLine($"   reusing {folder}");
        }
        Console.WriteLine(postgres
            ? $"   database size: {await app.WithDbAsync(db => db.Database.SqlQueryRaw<long>("SELECT pg_database_size(current_database()) AS \"Value\"").SingleAsync()) / 1024.0 / 1024:F0} MB"
            : $"   database file: {new FileInfo(Path.Combine(folder, "helpline.db")).Length / 1024.0 / 1024:F0} MB");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var reports = scope.ServiceProvider.GetRequiredService<ReportQueries>();
            var db = scope.ServiceProvider.GetRequiredService<Data.HelplineDb>();
            var time = scope.ServiceProvider.GetRequiredService<Infrastructure.HelplineTime>();
            var today = time.Stamp(time.UtcNow).Date;
            var clock = Stopwatch.StartNew();
            await reports.RefreshAsync(today.AddDays(-Days), today.AddDays(-1));
            Console.WriteLine($"   check that every past day's counts are current (nothing to recount): {clock.Elapsed.TotalMilliseconds:F0} ms");
            await db.ReportDays.Where(d => d.LocalDate >= today.AddDays(-Days)).ExecuteDeleteAsync();
            clock.Restart();
            var recounted = await reports.RefreshAsync(today.AddDays(-Days), today.AddDays(-1));
            Console.WriteLine($"   recount {recounted} past days from scratch (the first report after an upgrade, or the job after a restore): {clock.Elapsed.TotalSeconds:F1} s");
            foreach (var days in new[] { 30, 365 })
            {
                clock.Restart();
                var live = await reports.BuildAsync(new ReportFilter(today.AddDays(-days + 1), today, Region: "__all_live__"));
                var liveMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                await reports.CountAsync(db.Contacts.Where(c => c.LocalDate >= today.AddDays(-days + 1) && c.LocalDate <= today), today.AddDays(-days + 1));
                Console.WriteLine($"   counted live, {days} days (a region filter; no kept counts used): {clock.Elapsed.TotalMilliseconds:F0} ms for every table ({liveMs:F0} ms with the filter)");
            }
        }

        var cookie = await app.SignInSupervisorAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };
        Console.WriteLine();
        Console.WriteLine($"   {"range",-10} {"measure",-34} {"p50 ms",9} {"max ms",9} {"target",9}");
        foreach (var (days, target) in Ranges)
        {
            var queries = new List<double>();
            var pages = new List<double>();
            int contacts = 0;
            for (var run = 0; run < Runs; run++)
            {
                await using (var scope = app.Services.CreateAsyncScope())
                {
                    var reports = scope.ServiceProvider.GetRequiredService<ReportQueries>();
                    var time = scope.ServiceProvider.GetRequiredService<Infrastructure.HelplineTime>();
                    var today = time.Stamp(time.UtcNow).Date;
                    var clock = Stopwatch.StartNew();
                    var report = await reports.BuildAsync(new ReportFilter(today.AddDays(-days + 1), today));
                    if (run > 0)
                        queries.Add(clock.Elapsed.TotalMilliseconds);
                    contacts = report.Totals.Contacts;
                }
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(app.BaseUri, $"/reports?range=custom&from={DateTime.UtcNow.AddDays(-days + 1):yyyy-MM-dd}&to={DateTime.UtcNow:yyyy-MM-dd}"));
                request.Headers.Add("Cookie", cookie);
                var page = Stopwatch.StartNew();
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"/reports answered {(int)response.StatusCode}.");
                if (run > 0)
                    pages.Add(page.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {days + " days",-10} {"report figures (" + contacts.ToString("N0", CultureInfo.InvariantCulture) + " contacts)",-34} {Stats.Percentile(queries, 50),9:F0} {queries.Max(),9:F0} {"< " + target,9}  {BenchmarkMain.Verdict(queries.Max() < target)}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {"",-10} {"GET /reports (page over HTTP)",-34} {Stats.Percentile(pages, 50),9:F0} {pages.Max(),9:F0}"));
        }
        Console.WriteLine($"   load average at the end: {ScaleBenchmark.LoadAverage()} (other work on the machine moves every figure)");
        Console.WriteLine();
    }
}

/// <summary>Seeding's progress, seen as it happens (<see cref="Progress{T}"/> would report later, on the thread pool).</summary>
file sealed class Written(Action<int> report) : IProgress<int>
{
    public void Report(int value) => report(value);
}
