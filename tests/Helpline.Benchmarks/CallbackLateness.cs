using System.Collections.Concurrent;
using System.Globalization;
using Hangfire;
using Helpline.Callbacks;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Benchmarks;

/// <summary>
/// How late callbacks reach a dashboard: 500 callbacks due over a minute (at odd fractions of a
/// second), each saved as the form saves one and given its Hangfire job by the dispatcher; a real
/// SignalR client on /hubs/queue notes when each contact.queued delta arrives. Lateness = arrival −
/// due time (negative would be early). Run twice on fresh app instances: the app's tuned schedule
/// polling, then Hangfire's default, in the same run.
/// </summary>
internal static class CallbackLateness
{
    private const int Callbacks = 500;
    private static readonly TimeSpan Over = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FirstIn = TimeSpan.FromSeconds(8);
    private const double P99TargetMs = 1000;

    public sealed record Run(string Name, List<double> LatenessMs, int Missing);

    public static async Task RunAsync(string directory)
    {
        var defaultPolling = new BackgroundJobServerOptions().SchedulePollingInterval;
        var tuned = new HangfireOptions();
        Console.WriteLine($"4. Callback lateness: {Callbacks} callbacks due over {Over.TotalSeconds:F0} s; due time -> a SignalR client on /hubs/queue holds contact.queued");
        Console.WriteLine($"   tuned:    schedule polling {tuned.SchedulePollingInterval.TotalMilliseconds:F0} ms (the app's setting); the in-memory store hands enqueued jobs to workers without polling");
        Console.WriteLine($"   defaults: schedule polling {defaultPolling.TotalMilliseconds:F0} ms (Hangfire's own)");
        var runs = new List<Run>
        {
            await OneRunAsync(Path.Combine(directory, "callbacks-tuned"), "tuned polling", tuned.SchedulePollingInterval),
            await OneRunAsync(Path.Combine(directory, "callbacks-default"), "Hangfire's default polling", defaultPolling),
        };
        Console.WriteLine();
        Console.WriteLine($"   {"lateness (ms)",-32} {"p50",9} {"p99",9} {"max",9} {"earliest",9} {"early",6} {"missing",8}");
        foreach (var run in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {run.Name,-32} {Stats.Percentile(run.LatenessMs, 50),9:F0} {Stats.Percentile(run.LatenessMs, 99),9:F0} {Max(run.LatenessMs),9:F0} {Min(run.LatenessMs),9:F0} {run.LatenessMs.Count(l => l < 0),6} {run.Missing,8}"));
        }
        var (mine, theirs) = (runs[0], runs[1]);
        var p99 = Stats.Percentile(mine.LatenessMs, 99);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   p99 with tuned polling: {p99:F0} ms late (target < {P99TargetMs:F0} ms), none early: {mine.LatenessMs.Count(l => l < 0) == 0}  {BenchmarkMain.Verdict(p99 < P99TargetMs && mine.Missing == 0 && mine.LatenessMs.All(l => l >= 0))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   ratio default/tuned: p50 {Stats.Percentile(theirs.LatenessMs, 50) / Stats.Percentile(mine.LatenessMs, 50):F0}x, p99 {Stats.Percentile(theirs.LatenessMs, 99) / p99:F0}x"));
        Console.WriteLine();
    }

    private static async Task<Run> OneRunAsync(string directory, string name, TimeSpan schedulePolling)
    {
        Directory.CreateDirectory(directory);
        await using var app = new HelplineServer(directory, settings: new()
        {
            ["Hangfire:SchedulePollingInterval"] = schedulePolling.ToString("c", CultureInfo.InvariantCulture),
        });
        app.Start();
        await app.CreateAdvisorAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        var cookie = await app.SignInAsync(http);

        var arrivals = new ConcurrentDictionary<long, DateTime>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseUri, "/hubs/queue"), HttpTransportType.WebSockets, options =>
            {
                options.SkipNegotiation = true;
                options.Headers["Cookie"] = cookie;
            })
            .Build();
        void Arrived(DeltaProbe delta, DateTime at)
        {
            if (delta.Kind == "contact.queued" && delta.Contact is { } contact)
                arrivals.TryAdd(contact.ContactId, at);
        }
        hub.On<DeltaProbe>("QueueChanged", delta => Arrived(delta, DateTime.UtcNow));
        hub.On<DeltaProbe[]>("QueueChangedBatch", deltas =>
        {
            var at = DateTime.UtcNow;
            foreach (var delta in deltas)
                Arrived(delta, at);
        });
        hub.On<long>("Heartbeat", _ => { });
        await hub.StartAsync();

        Dictionary<long, DateTime> due;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var seeded = await SeedCallbacksCommand.SeedAsync(scope.ServiceProvider, Callbacks, Over, FirstIn);
            if (seeded.Problem is { } problem)
                throw new InvalidOperationException(problem);
            due = await scope.ServiceProvider.GetRequiredService<Data.HelplineDb>().Callbacks.AsNoTracking()
                .ToDictionaryAsync(c => c.ContactId, c => DateTime.SpecifyKind(c.DueAt, DateTimeKind.Utc));
        }
        app.Services.GetRequiredService<CallbackDispatcher>().Wake();
        var lastDue = due.Values.Max();
        var deadline = lastDue + schedulePolling + TimeSpan.FromSeconds(30);
        while (arrivals.Count < due.Count && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        var lateness = due.Where(d => arrivals.ContainsKey(d.Key)).Select(d => (arrivals[d.Key] - d.Value).TotalMilliseconds).ToList();
        Console.WriteLine($"   {name}: {arrivals.Count} of {due.Count} arrived");
        return new Run(name, lateness, due.Count - arrivals.Count);
    }

    private static double Max(List<double> values) => values.Count == 0 ? double.NaN : values.Max();
    private static double Min(List<double> values) => values.Count == 0 ? double.NaN : values.Min();
}
