using System.Diagnostics;
using System.Globalization;
using System.Net;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Helpline.Benchmarks;

/// <summary>
/// The advisor's dashboard (/staff) in a real browser: Debian's chromium, headless, driven by
/// Playwright, against its own instance of the app on Kestrel (so sections 1 and 2's contacts and
/// hub clients play no part), signed in through the sign-in page as an advisor who is Available.
/// (a) For calls queued one after another by signed webhooks, the time from the menu webhook's answer
///     until the page's own MutationObserver sees the caller's row in #queue-rows.
/// (b) With 1,000 contacts waiting, ten cold loads of /staff in fresh browser contexts: navigation
///     start to the server-rendered rows painted (the target: median under 400 ms), and to the hub
///     snapshot applied to those same rows in place ("Live"); the script must add no row of its own.
/// Every time of the page is taken in the page; times of the benchmark with DateTimeOffset.UtcNow.
/// </summary>
internal static class DashboardBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private const int Calls = 100;
    private const int WarmUpCalls = 2;
    private const int Waiting = 1_000;
    private const string WaitingText = "1,000";
    private const int Loads = 10;
    /// <summary>Navigation start to the last waiting row painted, median of the cold loads.</summary>
    private const double RowsPaintedTargetMs = 400;
    private const double RowP99TargetMs = 500;
    private const float RowTimeoutMs = 10_000;
    private const float PageTimeoutMs = 60_000;
    /// <summary>Caller numbers for the 1,000 inserted contacts start here, clear of the calls in (a).</summary>
    private const long InsertedCallersFrom = 10_000;

    private static readonly string[] Regions = ["NY", "CA", "TX", "FL", "PA", "OH", "IL", "GA", "NC", "MI", "WA", "AZ", "MA", "TN", "NJ"];

    /// <summary>
    /// Installed in a page that is live: stamps each contact row the first time it is added to
    /// #queue-rows (a new caller adds a row; other rows are updated in place), and the next frame after it.
    /// Times are performance.timeOrigin + performance.now(): Unix milliseconds, as Date.now() but finer.
    /// </summary>
    private const string RowObserver = """
        () => {
          const rows = document.getElementById("queue-rows");
          const now = () => performance.timeOrigin + performance.now();
          const seen = new Map();
          for (const tr of rows.children) seen.set(tr.getAttribute("data-contact"), { dom: 0, frame: 0 });
          window.__benchRows = seen;
          new MutationObserver((records) => {
            const at = now();
            for (const record of records) {
              for (const node of record.addedNodes) {
                if (node.nodeType !== Node.ELEMENT_NODE) continue;
                const id = node.getAttribute("data-contact");
                if (id === null || seen.has(id)) continue;
                const entry = { dom: at, frame: null };
                seen.set(id, entry);
                // The frame that can paint it: rAF runs before layout and paint; the message after it, once they are done.
                requestAnimationFrame(() => {
                  const channel = new MessageChannel();
                  channel.port1.onmessage = () => { entry.frame = now(); };
                  channel.port2.postMessage(null);
                });
              }
            }
          }).observe(rows, { childList: true });
        }
        """;

    /// <summary>
    /// Added to a fresh context before /staff loads (times are performance.now(): milliseconds since
    /// navigation start). When parsing ends, before the page's module script runs, it notes the
    /// server-rendered rows and stamps the frame after them (the rows painted). Then it stamps when
    /// #connection first says "Live" (the script has applied the hub snapshot to the table by then),
    /// when the largest WebSocket message (the snapshot) arrives, and the frame after "Live" with
    /// EXPECTED rows; and it counts the rows the script added to #queue-rows (rendered once: none).
    /// </summary>
    private const string LoadObserver = """
        (() => {
          const expected = EXPECTED;
          const state = window.__benchLoad = { serverRows: -1, biggest: 0, addedRows: 0 };
          const afterFrame = (done) => requestAnimationFrame(() => {
            const channel = new MessageChannel();
            channel.port1.onmessage = () => done(performance.now());
            channel.port2.postMessage(null);
          });
          const Native = window.WebSocket;
          window.WebSocket = class extends Native {
            constructor(...args) {
              super(...args);
              this.addEventListener("message", (event) => {
                const size = typeof event.data === "string" ? event.data.length : (event.data.byteLength ?? event.data.size ?? 0);
                if (size > state.biggest) { state.biggest = size; state.biggestAt = performance.now(); }
              });
            }
          };
          document.addEventListener("readystatechange", () => {
            if (document.readyState !== "interactive") return;
            const rows = document.getElementById("queue-rows");
            const banner = document.getElementById("connection");
            if (!rows || !banner) return;
            state.serverRows = rows.children.length;
            state.rowsAt = performance.now();
            afterFrame((t) => { state.rowsPainted = t; });
            const check = (records) => {
              for (const record of records ?? []) {
                if (record.target === rows) state.addedRows += [...record.addedNodes].filter((n) => n.nodeType === Node.ELEMENT_NODE).length;
              }
              if (state.connected === undefined && banner.textContent === "Live") state.connected = performance.now();
              if (state.live !== undefined || banner.textContent !== "Live" || rows.children.length !== expected) return;
              state.live = performance.now();
              state.addedAtLive = state.addedRows;
              afterFrame((t) => { state.frame = t; });
            };
            const observer = new MutationObserver(check);
            observer.observe(rows, { childList: true });
            observer.observe(banner, { childList: true, characterData: true, subtree: true });
            check();
          });
        })();
        """;

    private sealed record CallTimes(double WebhookMs, double ToDomMs, double ToFrameMs, double SentToDomMs, bool Appeared);

    private sealed record LoadTimes(double FirstByte, double LastByte, double Interactive, double DomContentLoaded, double RowsPainted, double Connected, double Snapshot, double Live, double Frame, int ServerRows, int AddedRows, int HtmlBytes, int SnapshotChars);

    public static async Task RunAsync(string directory)
    {
        Console.WriteLine($"3. Dashboard in a real browser: headless chromium ({ChromiumPath}) under Playwright, on its own app instance (fresh SQLite file)");
        if (!File.Exists(ChromiumPath))
        {
            Console.WriteLine($"   skipped: chromium is not installed at {ChromiumPath} (apt-get install chromium)");
            return;
        }

        IPlaywright playwright;
        try
        {
            playwright = await Playwright.CreateAsync();
        }
        catch (PlaywrightException e)
        {
            Console.WriteLine($"   skipped: Playwright could not start its driver: {FirstLine(e.Message)}");
            return;
        }
        using (playwright)
        {
            IBrowser browser;
            try
            {
                browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                    Timeout = PageTimeoutMs,
                });
            }
            catch (PlaywrightException e)
            {
                Console.WriteLine($"   skipped: chromium at {ChromiumPath} did not start: {FirstLine(e.Message)}");
                return;
            }
            await using (browser)
            {
                Directory.CreateDirectory(directory);
                await using var app = new HelplineServer(directory);
                app.Start();
                await app.CreateAdvisorAsync();
                using var http = new HttpClient(new SocketsHttpHandler
                {
                    UseCookies = false,
                    AllowAutoRedirect = false,
                    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                }) { Timeout = TimeSpan.FromSeconds(30) };
                await MeasureAsync(app, http, browser);
            }
        }
    }

    private static async Task MeasureAsync(HelplineServer app, HttpClient http, IBrowser browser)
    {
        // localhost, not 127.0.0.1: chromium treats http://localhost as a secure context and keeps
        // the staff cookie, which the app marks Secure outside Development.
        var origin = new Uri($"http://localhost:{app.BaseUri.Port}");
        Console.WriteLine($"   chromium {browser.Version}; page {origin}staff; advisor {HelplineServer.StaffEmail}, presence Available; webhooks to {app.BaseUri}");

        // ---- (a) ----
        var context = await browser.NewContextAsync(NewContext(origin, storageState: null));
        var page = await context.NewPageAsync();
        var errors = Watch(page);
        await page.GotoAsync("/sign-in", new PageGotoOptions { Timeout = PageTimeoutMs });
        await page.GetByLabel("Email").FillAsync(HelplineServer.StaffEmail);
        await page.GetByLabel("Password").FillAsync(HelplineServer.StaffPassword);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/staff", new PageWaitForURLOptions { Timeout = PageTimeoutMs });
        var cookie = (await context.CookiesAsync()).SingleOrDefault(c => c.Name == "helpline.staff")
            ?? throw new InvalidOperationException("Signed in through the page, but chromium holds no helpline.staff cookie.");
        await page.WaitForFunctionAsync("() => document.getElementById('connection')?.textContent === 'Live'", null,
            new PageWaitForFunctionOptions { Timeout = PageTimeoutMs });
        Console.WriteLine($"   signed in through /sign-in in the page: helpline.staff cookie Secure={cookie.Secure}, HttpOnly={cookie.HttpOnly}, SameSite={cookie.SameSite}, kept by chromium for http://localhost");
        var signedIn = await context.StorageStateAsync();

        Console.WriteLine($" (a) {Calls} calls, one after another: signed POST /twilio/voice/incoming, then /twilio/voice/menu?attempt=1 with Digits=1;");
        Console.WriteLine("     the page's MutationObserver on #queue-rows stamps when the row tr[data-contact=ID] is first added");
        await page.EvaluateAsync(RowObserver);
        var clockBefore = await ClockOffsetAsync(page);
        var placed = new List<(string CallSid, string From)>();
        for (var i = 0; i < WarmUpCalls; i++)
            await OneCallAsync(app, http, page, 1 + i, placed);
        var calls = new List<CallTimes>(Calls);
        for (var i = 0; i < Calls; i++)
            calls.Add(await OneCallAsync(app, http, page, 1 + WarmUpCalls + i, placed));
        var clockAfter = await ClockOffsetAsync(page);
        var shownOnPage = await page.Locator("#queue-rows tr").CountAsync();
        await context.CloseAsync();

        var appeared = calls.Where(c => c.Appeared).ToList();
        Console.WriteLine("   clocks: the page's performance.timeOrigin + performance.now() (Date.now()'s clock, finer) against .NET's DateTimeOffset.UtcNow,");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   the same machine's wall clock, compared at ms precision; measured page - .NET: {clockBefore.Offset:+0.00;-0.00} ms ± {clockBefore.HalfRoundTrip:F2} before, {clockAfter.Offset:+0.00;-0.00} ms ± {clockAfter.HalfRoundTrip:F2} after"));
        Console.WriteLine();
        Console.WriteLine($"   {"measure (ms, over " + appeared.Count + " calls, after " + WarmUpCalls + " unmeasured)",-58} {"p50",8} {"p99",8} {"max",8}");
        BenchmarkMain.Row("menu webhook (key 1): sent -> answered", calls.Select(c => c.WebhookMs).ToList());
        BenchmarkMain.Row("webhook answered -> row in the page's DOM", appeared.Select(c => c.ToDomMs).ToList());
        BenchmarkMain.Row("webhook answered -> the frame after it (painted)", appeared.Select(c => c.ToFrameMs).ToList());
        BenchmarkMain.Row("webhook sent -> row in the page's DOM", appeared.Select(c => c.SentToDomMs).ToList());
        Console.WriteLine($"   calls whose row never appeared within {RowTimeoutMs / 1000:F0} s: {calls.Count - appeared.Count}; rows on the page at the end: {shownOnPage}; page errors: {errors.Count}");
        foreach (var error in errors.Take(3))
            Console.WriteLine($"      {error}");
        var p99 = Stats.Percentile(appeared.Select(c => c.ToDomMs), 99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   p99, webhook answered -> row on the dashboard: {p99:F1} ms   (target < {RowP99TargetMs:F0} ms)  {BenchmarkMain.Verdict(p99 < RowP99TargetMs && appeared.Count == calls.Count)}"));

        // ---- (b) ----
        Console.WriteLine();
        Console.WriteLine($" (b) first load of /staff with {WaitingText} contacts waiting");
        // The calls of (a) hang up (signed status callbacks), so exactly the inserted contacts wait.
        foreach (var (callSid, from) in placed)
        {
            var form = TwilioRequests.Inbound(callSid, from);
            form["CallStatus"] = "completed";
            form["CallDuration"] = "40";
            using var hangUp = await http.SendAsync(TwilioRequests.SignedPost(new Uri(app.BaseUri, "/twilio/voice/status"), form));
            if (!hangUp.IsSuccessStatusCode)
                throw new InvalidOperationException($"The status callback answered {(int)hangUp.StatusCode}.");
        }
        var insert = await InsertWaitingAsync(app, Waiting);
        var waitingNow = await app.WithDbAsync(db => db.Contacts.CountAsync(c => c.Status == ContactStatus.Waiting));
        if (waitingNow != Waiting)
            throw new InvalidOperationException($"{waitingNow} contacts are waiting, not {Waiting}.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   inserted {WaitingText} waiting contacts through the app's HelplineDb in {insert.TotalSeconds:F1} s: callers with encrypted numbers and blind indexes,"));
        Console.WriteLine("   unique CallSids, queued over the last 10 minutes, local date and hour, a contact.queued change each; waiting now: " + waitingNow);
        Console.WriteLine($"   {Loads} loads, each in a fresh browser context (empty cache; only the staff cookie), after 1 unmeasured; times from the page's navigation start");

        var script = LoadObserver.Replace("EXPECTED", Waiting.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var loads = new List<LoadTimes>(Loads);
        var loadErrors = new List<string>();
        for (var i = 0; i < 1 + Loads; i++)
        {
            var load = await LoadOnceAsync(browser, origin, signedIn, script, loadErrors);
            if (i > 0)
                loads.Add(load);
        }
        Console.WriteLine();
        Console.WriteLine($"   {"measure (ms from navigation start, over " + loads.Count + " loads)",-58} {"median",8} {"max",8}");
        LoadRow("first byte of /staff (server-rendered rows)", loads.Select(l => l.FirstByte));
        LoadRow("last byte of /staff", loads.Select(l => l.LastByte));
        LoadRow("parsed (domInteractive)", loads.Select(l => l.Interactive));
        LoadRow("server-rendered page loaded (DOMContentLoaded)", loads.Select(l => l.DomContentLoaded));
        LoadRow($"the frame after it: all {WaitingText} rows painted", loads.Select(l => l.RowsPainted));
        LoadRow("hub snapshot arrived (largest WebSocket message)", loads.Select(l => l.Snapshot));
        LoadRow("snapshot applied to the rows in place, \"Live\"", loads.Select(l => l.Live));
        LoadRow("the frame after it (painted)", loads.Select(l => l.Frame));
        var last = loads[^1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   page HTML {last.HtmlBytes / 1024.0:F0} KiB with {last.ServerRows} server-rendered rows; hub snapshot {last.SnapshotChars / 1024.0:F0} KiB; page errors: {loadErrors.Count}"));
        Console.WriteLine($"   rows the script added to the table on its first update (drawn once, by the server: 0 expected): max {loads.Max(l => l.AddedRows)} over the loads");
        foreach (var error in loadErrors.Take(3))
            Console.WriteLine($"      {error}");
        if (Trace)
            await TraceOneLoadAsync(browser, origin, signedIn, script);
        var painted = Stats.Percentile(loads.Select(l => l.RowsPainted), 50);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   median, navigation start -> last row painted: {painted:F0} ms   (target < {RowsPaintedTargetMs:F0} ms)  {BenchmarkMain.Verdict(painted < RowsPaintedTargetMs && loads.All(l => l.AddedRows == 0) && loadErrors.Count == 0)}"));
    }

    /// <summary><c>--dashboard-trace</c>: one more load under chromium's tracing, its main-thread work summed by kind.</summary>
    public static bool Trace { get; set; }

    private static async Task TraceOneLoadAsync(IBrowser browser, Uri origin, string signedIn, string script)
    {
        var context = await browser.NewContextAsync(NewContext(origin, signedIn));
        await context.AddInitScriptAsync(script);
        var page = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(page);
        var events = new List<System.Text.Json.JsonElement>();
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cdp.Event("Tracing.dataCollected").OnEvent += (_, data) =>
        {
            lock (events)
                events.AddRange(data!.Value.GetProperty("value").EnumerateArray().Select(e => e.Clone()));
        };
        cdp.Event("Tracing.tracingComplete").OnEvent += (_, _) => complete.TrySetResult();
        await cdp.SendAsync("Tracing.start", new Dictionary<string, object> { ["categories"] = "devtools.timeline,blink,loading", ["transferMode"] = "ReportEvents" });
        await page.GotoAsync("/staff", new PageGotoOptions { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = PageTimeoutMs });
        await page.WaitForFunctionAsync("() => window.__benchLoad.frame !== undefined", null, new PageWaitForFunctionOptions { Timeout = PageTimeoutMs });
        await cdp.SendAsync("Tracing.end");
        await complete.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await context.CloseAsync();
        var totals = new Dictionary<string, (double Ms, int Count)>();
        foreach (var e in events)
        {
            if (!e.TryGetProperty("dur", out var dur) || !e.TryGetProperty("name", out var name))
                continue;
            var key = name.GetString()!;
            var (ms, count) = totals.GetValueOrDefault(key);
            totals[key] = (ms + dur.GetDouble() / 1000, count + 1);
        }
        var urls = events.Where(e => e.GetProperty("name").GetString() == "ResourceSendRequest")
            .Select(e => e.GetProperty("args").GetProperty("data").GetProperty("url").GetString()!)
            .GroupBy(u => u.Split('?')[0]).OrderByDescending(g => g.Count()).ToList();
        Console.WriteLine($"   one traced load: {urls.Sum(g => g.Count())} requests: {string.Join(", ", urls.Take(8).Select(g => $"{g.Key} x{g.Count()}"))}");
        Console.WriteLine("   one traced load: the longest kinds of work (ms summed over every thread; nested events are counted within their parents too)");
        foreach (var (name, (ms, count)) in totals.OrderByDescending(t => t.Value.Ms).Take(25))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {name,-44} {ms,9:F1} ms  x{count}"));
    }

    private static BrowserNewContextOptions NewContext(Uri origin, string? storageState) => new()
    {
        BaseURL = origin.ToString(),
        ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        StorageState = storageState,
    };

    /// <summary>Uncaught errors, console errors and failed responses of a page.</summary>
    private static List<string> Watch(IPage page)
    {
        var errors = new List<string>();
        page.PageError += (_, error) => { lock (errors) errors.Add("page error: " + FirstLine(error)); };
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                lock (errors) errors.Add("console error: " + FirstLine(message.Text));
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
                lock (errors) errors.Add($"HTTP {response.Status} for {response.Request.Method} {response.Url}");
        };
        return errors;
    }

    /// <summary>
    /// One call: incoming (the caller hears the menu; not on dashboards yet), then key 1, which
    /// queues the caller; then the page's stamp of the caller's row, against the menu webhook's answer.
    /// </summary>
    private static async Task<CallTimes> OneCallAsync(HelplineServer app, HttpClient http, IPage page, long callerIndex, List<(string, string)> placed)
    {
        var callSid = TwilioRequests.NewCallSid();
        var from = TwilioRequests.CallerNumber(callerIndex);
        var inbound = TwilioRequests.Inbound(callSid, from);
        using (var incoming = await http.SendAsync(TwilioRequests.SignedPost(new Uri(app.BaseUri, "/twilio/voice/incoming"), inbound)))
        {
            if (incoming.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"Incoming webhook answered {(int)incoming.StatusCode}.");
        }
        placed.Add((callSid, from));
        var contactId = await app.ContactIdAsync(callSid) ?? throw new InvalidOperationException("The incoming webhook stored no contact.");

        using var menu = TwilioRequests.SignedPost(new Uri(app.BaseUri, "/twilio/voice/menu?attempt=1"), TwilioRequests.MenuKey(inbound, "1"));
        var sentAt = UnixMs();
        var sent = Stopwatch.GetTimestamp();
        double answeredAt;
        long answered;
        using (var response = await http.SendAsync(menu))
        {
            var body = await response.Content.ReadAsStringAsync();
            answered = Stopwatch.GetTimestamp();
            answeredAt = UnixMs();
            if (response.StatusCode != HttpStatusCode.OK || !body.Contains("<Enqueue", StringComparison.Ordinal))
                throw new InvalidOperationException($"Menu webhook did not queue the caller ({(int)response.StatusCode}): {body[..Math.Min(body.Length, 300)]}");
        }
        var webhookMs = Stats.Ms(answered - sent);
        try
        {
            var stamp = await page.WaitForFunctionAsync(
                "id => { const e = window.__benchRows.get(id); return e && e.frame !== null ? [e.dom, e.frame] : null; }",
                contactId.ToString(CultureInfo.InvariantCulture),
                new PageWaitForFunctionOptions { Timeout = RowTimeoutMs });
            var times = await stamp.JsonValueAsync<double[]>();
            return new CallTimes(webhookMs, times[0] - answeredAt, times[1] - answeredAt, times[0] - sentAt, Appeared: true);
        }
        catch (TimeoutException)
        {
            return new CallTimes(webhookMs, double.NaN, double.NaN, double.NaN, Appeared: false);
        }
    }

    /// <summary>The .NET wall clock now, in Unix milliseconds (what the page's clock counts).</summary>
    private static double UnixMs() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    /// <summary>The page's clock minus .NET's, from the round trip (of 20) that took the least time.</summary>
    private static async Task<(double Offset, double HalfRoundTrip)> ClockOffsetAsync(IPage page)
    {
        var best = (Offset: double.NaN, HalfRoundTrip: double.MaxValue);
        for (var i = 0; i < 20; i++)
        {
            var before = UnixMs();
            var inPage = await page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
            var after = UnixMs();
            if ((after - before) / 2 < best.HalfRoundTrip)
                best = (inPage - (before + after) / 2, (after - before) / 2);
        }
        return best;
    }

    /// <summary>
    /// Waiting contacts as the webhooks leave them (a caller with an encrypted number and its blind
    /// index, a phone contact queued with a unique CallSid and its local date and hour, a
    /// contact.queued change), written in one transaction through the app's own HelplineDb.
    /// Nothing is broadcast: no dashboard is open while they are written.
    /// </summary>
    private static async Task<TimeSpan> InsertWaitingAsync(HelplineServer app, int count)
    {
        if (InsertedCallersFrom + count > TwilioRequests.DistinctCallers)
            throw new InvalidOperationException($"Only {TwilioRequests.DistinctCallers} distinct caller numbers; {count} new callers do not fit.");
        var started = Stopwatch.StartNew();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var time = scope.ServiceProvider.GetRequiredService<HelplineTime>();
        var disclosure = scope.ServiceProvider.GetRequiredService<IConfiguration>()["Disclosure:Version"];
        var now = time.UtcNow;
        var contacts = new List<Contact>(count);
        for (var i = 0; i < count; i++)
        {
            var e164 = TwilioRequests.CallerNumber(InsertedCallersFrom + i);
            // In line over the last ten minutes, oldest first; each spent 25 s in the menu before.
            var queuedAt = now.AddMilliseconds(-600.0 * (count - i));
            var createdAt = queuedAt.AddSeconds(-25);
            var stamp = time.Stamp(createdAt);
            var language = i % 5 == 4 ? CallerLanguage.Spanish : CallerLanguage.English;
            contacts.Add(new Contact
            {
                Caller = new Caller
                {
                    PhoneHash = db.Protector.BlindIndex(e164),
                    PhoneNumber = e164,
                    Name = "Zorblax Quennet",
                    TimeZone = CallerNumbers.TimeZoneOf(e164, time.Zone.Id),
                    Language = language,
                    CreatedAt = createdAt,
                },
                Channel = ContactChannel.Phone,
                Status = ContactStatus.Waiting,
                Priority = i % 40 == 39 ? ContactPriority.Urgent : ContactPriority.Normal,
                Language = language,
                For = i % 3 == 2 ? ContactFor.LovedOne : ContactFor.Self,
                Region = Regions[i % Regions.Length],
                CallSid = TwilioRequests.NewCallSid(),
                DisclosureVersion = disclosure,
                CreatedAt = createdAt,
                UpdatedAt = queuedAt,
                LocalDate = stamp.Date,
                LocalHour = stamp.Hour,
                LocalDayOfWeek = stamp.DayOfWeek,
                QueuedAt = queuedAt,
            });
        }
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Contacts.AddRange(contacts);
        await db.SaveChangesAsync();
        db.QueueChanges.AddRange(contacts.Select(c => new QueueChange { Kind = QueueChangeKinds.ContactQueued, At = c.QueuedAt!.Value, ContactId = c.Id }));
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        return started.Elapsed;
    }

    /// <summary>One load of /staff in a fresh context that holds only the staff cookie, timed by the page.</summary>
    private static async Task<LoadTimes> LoadOnceAsync(IBrowser browser, Uri origin, string signedIn, string script, List<string> errors)
    {
        var context = await browser.NewContextAsync(NewContext(origin, signedIn));
        try
        {
            await context.AddInitScriptAsync(script);
            var page = await context.NewPageAsync();
            var pageErrors = Watch(page);
            var response = await page.GotoAsync("/staff", new PageGotoOptions { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = PageTimeoutMs });
            if (response is not { Status: 200 } || !page.Url.EndsWith("/staff", StringComparison.Ordinal))
                throw new InvalidOperationException($"/staff answered {response?.Status} at {page.Url}: is the staff cookie kept?");
            await page.WaitForFunctionAsync("() => window.__benchLoad.frame !== undefined", null, new PageWaitForFunctionOptions { Timeout = PageTimeoutMs });
            var v = await page.EvaluateAsync<double[]>("""
                () => {
                  const n = performance.getEntriesByType("navigation")[0];
                  const s = window.__benchLoad;
                  return [n.responseStart, n.responseEnd, n.domInteractive, n.domContentLoadedEventEnd, s.rowsPainted ?? -1, s.connected ?? -1, s.biggestAt ?? -1, s.live, s.frame, s.serverRows, s.addedAtLive, n.encodedBodySize, s.biggest];
                }
                """);
            errors.AddRange(pageErrors);
            return new LoadTimes(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], (int)v[9], (int)v[10], (int)v[11], (int)v[12]);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static void LoadRow(string name, IEnumerable<double> values)
    {
        var list = values.ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {name,-58} {Stats.Percentile(list, 50),8:F0} {(list.Count == 0 ? double.NaN : list.Max()),8:F0}"));
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
