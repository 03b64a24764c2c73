using System.Diagnostics;
using System.Net;
using Helpline.Treatment;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Benchmarks;

/// <summary>
/// Section 6: the treatment directory over the 14,034 real SAMHSA rows (tests/data): the import's
/// time, then each kind of search through GET /api/directory/search on Kestrel, p50 and p99 of
/// <see cref="Queries"/> queries each, against the 50 ms target.
/// </summary>
internal static class DirectorySearchBench
{
    private const int Queries = 200;
    private const int WarmUp = 20;
    private const double TargetMs = 50;

    public static async Task<bool> RunAsync(string directory)
    {
        var rows = FindRealRows();
        Console.WriteLine($"6. Treatment directory: {rows}");
        if (rows is null)
        {
            Console.WriteLine("   skipped: tests/data/samhsa-substance-use-facilities-2021.csv not found");
            return true;
        }
        Directory.CreateDirectory(directory);
        await using var app = new HelplineServer(directory);
        app.Start();
        await app.CreateAdvisorAsync();

        var import = Stopwatch.StartNew();
        ImportSummary first, second;
        await using (var scope = app.Services.CreateAsyncScope())
        await using (var file = File.OpenRead(rows))
            first = await scope.ServiceProvider.GetRequiredService<FacilityImporter>().ImportAsync(file, rows);
        var firstTime = import.Elapsed;
        import.Restart();
        await using (var scope = app.Services.CreateAsyncScope())
        await using (var file = File.OpenRead(rows))
            second = await scope.ServiceProvider.GetRequiredService<FacilityImporter>().ImportAsync(file, rows);
        Console.WriteLine($"   import: {first.Read:N0} rows, {first.Imported:N0} imported, {first.Rejected} rejected (same facility twice in the file) in {firstTime.TotalSeconds:F1} s");
        Console.WriteLine($"   again:  {second.Imported:N0} imported, {second.Unchanged:N0} unchanged in {import.Elapsed.TotalSeconds:F1} s");

        // The real rows carry no service codes: give each facility a fixed pseudo-random set, so service
        // searches have real-sized answers (about a third of the facilities offer each service).
        var codes = ServiceCodes.Searchable.SelectMany(s => s.Codes).Distinct().ToArray();
        var seeded = await app.WithDbAsync(async db =>
        {
            var ids = await db.Facilities.Select(f => f.Id).ToListAsync();
            var random = new Random(2021);
            db.FacilityServices.AddRange(ids.SelectMany(id => codes.Where(_ => random.NextDouble() < 0.33).Select(code => new FacilityService { FacilityId = id, Code = code })));
            return await db.SaveChangesAsync();
        });
        Console.WriteLine($"   {seeded:N0} synthetic service codes added for the service searches ({codes.Length} codes, each on about a third of the facilities)");

        var places = await app.WithDbAsync(db => db.Facilities.AsNoTracking().Select(f => new { f.City, f.State, f.Zip, Latitude = f.Latitude!.Value, Longitude = f.Longitude!.Value }).ToListAsync());
        var pick = new Random(7);
        string City() { var p = places[pick.Next(places.Count)]; return $"city={Uri.EscapeDataString(p.City)}&state={p.State}"; }
        string State() => $"state={places[pick.Next(places.Count)].State}";
        string Zip() => $"zip={places[pick.Next(places.Count)].Zip}";
        string NearZip() => $"near={places[pick.Next(places.Count)].Zip}&miles=25";
        string NearPoint() { var p = places[pick.Next(places.Count)]; return $"near={p.Latitude + pick.NextDouble() * 0.1 - 0.05:F4},{p.Longitude + pick.NextDouble() * 0.1 - 0.05:F4}&miles=25"; }
        string Service() => $"service={ServiceCodes.Searchable[pick.Next(ServiceCodes.Searchable.Count)].Name}";
        string Combined() => $"{NearZip()}&service=methadone,medicaid";
        string WideNear() => $"near={places[pick.Next(places.Count)].Zip}&miles=250";

        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseUri };
        var cookie = await app.SignInAsync(http);
        http.DefaultRequestHeaders.Add("Cookie", cookie);

        Console.WriteLine($"   GET /api/directory/search (take 20), {Queries} queries each after {WarmUp} to warm up, one at a time:");
        Console.WriteLine($"   {"search",-44} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"avg hits",9}");
        var allMet = true;
        foreach (var (name, next) in new (string, Func<string>)[]
        {
            ("city and state", City),
            ("state", State),
            ("ZIP code", Zip),
            ("nearest to a ZIP, 25 miles", NearZip),
            ("nearest to a point, 25 miles", NearPoint),
            ("nearest to a ZIP, 250 miles", WideNear),
            ("one service, nationwide", Service),
            ("nearest to a ZIP + methadone + Medicaid", Combined),
        })
        {
            var times = new List<double>();
            var hits = 0;
            for (var i = 0; i < WarmUp + Queries; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync("/api/directory/search?" + next());
                var body = await response.Content.ReadAsStringAsync();
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"{name}: {(int)response.StatusCode} {body}");
                if (i < WarmUp)
                    continue;
                times.Add(ms);
                hits += CountHits(body);
            }
            times.Sort();
            var (p50, p99) = (Percentile(times, 50), Percentile(times, 99));
            allMet &= p99 < TargetMs;
            Console.WriteLine($"   {name,-44} {p50,8:F1} {p99,8:F1} {times[^1],8:F1} {(double)hits / Queries,9:F1}  {BenchmarkMain.Verdict(p99 < TargetMs)}");
        }
        Console.WriteLine($"   every kind of search p99 < {TargetMs:F0} ms: {BenchmarkMain.Verdict(allMet)}");
        return allMet;
    }

    private static int CountHits(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("facilities").GetArrayLength();
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string? FindRealRows()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Helpline.sln")))
            folder = folder.Parent;
        if (folder is null)
            return null;
        var path = Path.Combine(folder.FullName, "tests", "data", "samhsa-substance-use-facilities-2021.csv");
        return File.Exists(path) ? path : null;
    }
}
