using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Data;
using Helpline.Queue;
using Helpline.Telephony.Simulator;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Checks;

/// <summary>
/// A callback surge as a bad night brings one: many web-form callbacks fall due within a minute while
/// calls and form posts keep arriving, and advisors work the queue through the built-in simulator
/// (take-next, their phone rings and they answer, the caller's phone rings and they answer, the caller
/// hangs up, the advisor wraps up). It counts what the callers would notice: whether each callback
/// entered the queue, and how often each caller's phone was rung (at the simulator's placed calls),
/// with how late each entered the queue. Shared by the benchmark program (<c>--surge</c>, 2,000 in a
/// minute) and the test suite (fewer, on SQLite and on PostgreSQL); the host supplies the app.
/// </summary>
public sealed partial class CallbackSurge(IServiceProvider services, Func<HttpClient> anonymous, TextWriter log)
{
    /// <param name="Callbacks">Web-form callbacks due within <paramref name="Over"/>, the first <paramref name="FirstIn"/> from now.</param>
    /// <param name="Advisors">Advisors working the queue side by side.</param>
    /// <param name="LoadPerSecond">Other traffic meanwhile: inbound calls (a signed webhook in, a hang-up's status callback) and, one in five, a form post asking for a call another day.</param>
    public sealed record Plan(int Callbacks, TimeSpan Over, TimeSpan FirstIn, int Advisors, int LoadPerSecond, string StaffPassword);

    public sealed record Result(
        int Callbacks, int Queued, int QueuedTwice, int Early, int Dialled, int DialledTwice, int Completed,
        IReadOnlyList<double> LatenessMs, int LoadSent, int LoadFailed, IReadOnlyList<string> LoadProblems, TimeSpan Elapsed)
    {
        public int NeverQueued => Callbacks - Queued;

        public int NeverDialled => Callbacks - Dialled;
    }

    private sealed record Seeded(long CallbackId, long ContactId, string Number, DateTime Due);

    private readonly ConcurrentQueue<string> _loadProblems = new();
    private int _completed;
    private int _loadSent;
    private int _loadFailed;

    private TwilioSimulator Simulator => services.GetRequiredService<TwilioSimulator>();

    public async Task<Result> RunAsync(Plan plan, Func<string, Task<HttpClient>> signIn, TimeSpan deadline)
    {
        var total = Stopwatch.StartNew();
        var advisors = await CreateAdvisorsAsync(plan);
        var sessions = await Task.WhenAll(advisors.Select(a => signIn(a.Email)));

        Dictionary<long, Seeded> seeded;
        await using (var scope = services.CreateAsyncScope())
        {
            var made = await SeedCallbacksCommand.SeedAsync(scope.ServiceProvider, plan.Callbacks, plan.Over, plan.FirstIn);
            if (made.Problem is { } problem)
                throw new InvalidOperationException(problem);
            seeded = (await scope.ServiceProvider.GetRequiredService<HelplineDb>().Callbacks.AsNoTracking()
                    .Select(c => new { c.Id, c.ContactId, c.Caller!.PhoneNumber, c.DueAt }).ToListAsync())
                .ToDictionary(c => c.ContactId, c => new Seeded(c.Id, c.ContactId, c.PhoneNumber!, DateTime.SpecifyKind(c.DueAt, DateTimeKind.Utc)));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {plan.Callbacks} callbacks due from {made.First:HH:mm:ss.fff} to {made.Last:HH:mm:ss.fff} UTC; {plan.Advisors} advisors; other traffic {plan.LoadPerSecond}/s"));
        }
        services.GetRequiredService<CallbackDispatcher>().Wake();

        using var stop = new CancellationTokenSource();
        var loadUntil = seeded.Values.Max(s => s.Due) + TimeSpan.FromSeconds(2);
        var load = RunLoadAsync(plan.LoadPerSecond, loadUntil, stop.Token);
        var work = advisors.Select((a, i) => WorkAsync(sessions[i], a.Phone, seeded, stop.Token)).ToList();
        while (Volatile.Read(ref _completed) < plan.Callbacks && total.Elapsed < deadline && work.All(w => !w.IsFaulted))
            await Task.Delay(100);
        await stop.CancelAsync();
        foreach (var task in work.Append(load))
        {
            try
            {
                await task;
            }
            catch (OperationCanceledException)
            {
            }
        }

        await using (var scope = services.CreateAsyncScope())
        {
            var contactIds = seeded.Keys.ToList();
            var entries = await scope.ServiceProvider.GetRequiredService<HelplineDb>().QueueChanges.AsNoTracking()
                .Where(q => q.Kind == QueueChangeKinds.ContactQueued && q.ContactId != null && contactIds.Contains(q.ContactId.Value))
                .Select(q => new { ContactId = q.ContactId!.Value, q.At })
                .ToListAsync();
            var queued = entries.GroupBy(e => e.ContactId).ToDictionary(g => g.Key, g => (Times: g.Count(), First: DateTime.SpecifyKind(g.Min(e => e.At), DateTimeKind.Utc)));
            var rung = seeded.Values.ToDictionary(s => s.ContactId, s => Simulator.PlacedTo(s.Number).Count);
            return new Result(
                seeded.Count,
                queued.Count,
                queued.Values.Count(q => q.Times > 1),
                seeded.Values.Count(s => queued.TryGetValue(s.ContactId, out var q) && q.First < s.Due),
                rung.Values.Count(n => n >= 1),
                rung.Values.Count(n => n > 1),
                Volatile.Read(ref _completed),
                [.. seeded.Values.Where(s => queued.ContainsKey(s.ContactId)).Select(s => (queued[s.ContactId].First - s.Due).TotalMilliseconds)],
                _loadSent, _loadFailed, [.. _loadProblems.Take(5)], total.Elapsed);
        }
    }

    public static void Print(Result result, TextWriter log, double p99TargetMs)
    {
        var sorted = result.LatenessMs.Order().ToList();
        double Percentile(double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];
        log.WriteLine($"   callbacks:                          {result.Callbacks}");
        log.WriteLine($"   entered the queue / twice / never:  {result.Queued} / {result.QueuedTwice} / {result.NeverQueued}");
        log.WriteLine($"   entered before their due time:      {result.Early}");
        log.WriteLine($"   caller's phone rung / twice / never: {result.Dialled} / {result.DialledTwice} / {result.NeverDialled} (the simulator's placed calls)");
        log.WriteLine($"   wrapped up by the advisors:         {result.Completed}");
        log.WriteLine($"   other traffic sent / failed:        {result.LoadSent} / {result.LoadFailed}{(result.LoadProblems.Count > 0 ? " (" + string.Join("; ", result.LoadProblems) + ")" : "")}");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   lateness into the queue:            p50 {Percentile(50):F0} ms, p99 {Percentile(99):F0} ms, max {(sorted.Count == 0 ? double.NaN : sorted[^1]):F0} ms (target p99 < {p99TargetMs:F0} ms)"));
        log.WriteLine($"   whole run:                          {result.Elapsed.TotalSeconds:F0} s");
    }

    public static double P99(Result result)
    {
        var sorted = result.LatenessMs.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(0.99 * sorted.Count) - 1)];
    }

    private async Task<List<(string Email, string Phone)>> CreateAdvisorsAsync(Plan plan)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var advisors = new List<(string, string)>();
        for (var i = 0; i < plan.Advisors; i++)
        {
            var (email, phone) = ($"surge-advisor-{i}@helpline.example", $"+1628555{100 + i:D4}");
            var user = new StaffUser
            {
                UserName = email, Email = email, EmailConfirmed = true, DisplayName = $"Surge advisor {i + 1}",
                Languages = AdvisorLanguages.English | AdvisorLanguages.Spanish, Presence = Presence.Available,
                DialNumber = phone, PresenceChangedAt = DateTime.UtcNow,
            };
            var created = await users.CreateAsync(user, plan.StaffPassword);
            if (!created.Succeeded || !(await users.AddToRoleAsync(user, Roles.Advisor)).Succeeded)
                throw new InvalidOperationException("Could not create a surge advisor: " + string.Join("; ", created.Errors.Select(e => e.Description)));
            advisors.Add((email, phone));
        }
        return advisors;
    }

    /// <summary>One advisor: take the next contact, answer their phone, talk, wrap up; again until stopped.</summary>
    private async Task WorkAsync(HttpClient advisor, string advisorPhone, Dictionary<long, Seeded> seeded, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var taken = await advisor.PostAsync("/api/queue/take-next", null, stop);
            if (taken.StatusCode != HttpStatusCode.OK)
            {
                // 404: nobody waiting (an advisor looks again when the dashboard shows someone; here, a
                // moment later); 409: another advisor took that contact first, so straight away.
                await Task.Delay(taken.StatusCode == HttpStatusCode.Conflict ? 10 : 250, stop);
                continue;
            }
            var row = await taken.Content.ReadFromJsonAsync<TakenRow>(stop) ?? throw new InvalidOperationException("take-next answered 200 without a contact.");
            if (!seeded.TryGetValue(row.ContactId, out var callback))
                throw new InvalidOperationException($"take-next gave contact {row.ContactId}, which is not one of the surge's callbacks.");

            await Simulator.AnswerAsync((await RingingAsync(advisorPhone, stop)).Sid);
            var callerPhone = await RingingAsync(callback.Number, stop);
            await Simulator.AnswerAsync(callerPhone.Sid);
            await Simulator.PersonHangsUpAsync(callerPhone.Sid);
            // The call ends in wrap-up once Twilio's status callbacks are in; until then complete answers 409.
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                using var completed = await advisor.PostAsJsonAsync($"/api/contacts/{row.ContactId}/complete", new { disposition = "InformationGiven" }, stop);
                if (completed.IsSuccessStatusCode)
                    break;
                if (DateTime.UtcNow > until)
                    throw new TimeoutException($"Contact {row.ContactId} could not be wrapped up: {(int)completed.StatusCode} {await completed.Content.ReadAsStringAsync(stop)}");
                await Task.Delay(20, stop);
            }
            Interlocked.Increment(ref _completed);
        }
    }

    private sealed record TakenRow(long ContactId);

    /// <summary>The call the app placed to <paramref name="number"/> that is ringing now.</summary>
    private async Task<SimulatedCall> RingingAsync(string number, CancellationToken stop)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (Simulator.PlacedTo(number).LastOrDefault(c => c.Awaiting == "answer") is { } ringing)
                return ringing;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"The phone at {number} did not ring within 30 s.");
            await Task.Delay(10, stop);
        }
    }

    /// <summary>Calls and form posts at a steady rate (never more than 64 at once), until told to stop.</summary>
    private async Task RunLoadAsync(int perSecond, DateTime untilUtc, CancellationToken stop)
    {
        if (perSecond <= 0)
            return;
        using var browser = anonymous();
        var token = await FormTokenAsync(browser, stop);
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; DateTime.UtcNow < untilUtc && !stop.IsCancellationRequested; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, stop);
            inFlight.RemoveAll(t => t.IsCompleted);
            if (inFlight.Count >= 64)
                continue;
            Interlocked.Increment(ref _loadSent);
            inFlight.Add(i % 5 == 4 ? PostFormAsync(browser, token, i, stop) : CallAndHangUpAsync(i));
        }
        await Task.WhenAll(inFlight);
    }

    private async Task CallAndHangUpAsync(int i)
    {
        try
        {
            var call = await Simulator.CallInAsync($"+1202555{1000 + i % 9000:D4}");
            await Simulator.PersonHangsUpAsync(call.Sid);
        }
        catch (Exception e)
        {
            Failed($"call: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>A person asking for a call tomorrow (so not part of the surge); each from an address of their own, as people are.</summary>
    private async Task PostFormAsync(HttpClient browser, string token, int i, CancellationToken stop)
    {
        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
            var tomorrow = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, zone)).AddDays(1);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/get-help")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["Name"] = "Surge",
                    ["Phone"] = $"+1{FormAreaCodes[i / 5 % FormAreaCodes.Length]}5550{100 + i / 5 / FormAreaCodes.Length % 100:D3}",
                    ["For"] = "Self",
                    ["Substance"] = "Fentanyl",
                    ["When"] = "later",
                    ["Day"] = tomorrow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["From"] = "10:00",
                    ["Until"] = "12:00",
                    ["TimeZone"] = zone.Id,
                    ["MayCall"] = "true",
                    ["__RequestVerificationToken"] = token,
                }),
            };
            var address = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}";
            request.Headers.Add("X-Forwarded-For", address);
            request.Headers.Add("X-Test-Client-Address", address);
            using var response = await browser.SendAsync(request, stop);
            if (response.StatusCode != HttpStatusCode.Redirect)
                Failed($"form: {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failed($"form: {e.GetType().Name}: {e.Message}");
        }
    }

    private static readonly string[] FormAreaCodes = ["917", "347", "718", "929", "516", "631", "914", "845", "203", "860"];

    private void Failed(string problem)
    {
        Interlocked.Increment(ref _loadFailed);
        _loadProblems.Enqueue(problem);
    }

    private static async Task<string> FormTokenAsync(HttpClient browser, CancellationToken stop)
    {
        var html = await browser.GetStringAsync("/get-help", stop);
        return AntiforgeryField().Match(html) is { Success: true } m
            ? WebUtility.HtmlDecode(m.Groups[1].Value)
            : throw new InvalidOperationException("No antiforgery token on /get-help.");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
