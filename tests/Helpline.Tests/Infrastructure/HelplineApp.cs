using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Helpline.Accounts;
using Helpline.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Helpline.Tests.Infrastructure;

/// <summary>
/// The app on a real SQLite file of its own (in Helpline.PostgresTests: a PostgreSQL database of its own), with test keys, a test Twilio token, a fake clock and
/// every log line captured. Settings can be changed before the first request.
/// </summary>
public sealed class HelplineApp : WebApplicationFactory<Program>
{
    public const string AuthToken = "test-auth-token-0123456789";

    /// <summary>Wednesday 25 November 2026, 10:00 in New York: the line is open.</summary>
    public static readonly DateTimeOffset OpenTime = new(2026, 11, 25, 15, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("helpline-tests-").FullName;
#if POSTGRES
    private readonly string _postgresDatabase;
#endif

    static HelplineApp()
    {
        // Each host would watch its settings files (an inotify instance each); the per-user limit of
        // 128 is shared with every other test run on the machine, and no test changes those files.
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
    }

    public HelplineApp(DateTimeOffset? start = null)
    {
        Clock = new FakeTimeProvider(start ?? OpenTime);
#if POSTGRES
        // The same suite on PostgreSQL: a fresh database of its own on the run's server.
        Assert.SkipWhen(DatabaseUnavailable is not null, DatabaseUnavailable ?? "");
        _postgresDatabase = Helpline.PostgresTests.Servers.PostgresServer.Shared.CreateDatabase();
        Settings["Database:Provider"] = "Postgres";
        Settings["ConnectionStrings:Helpline"] = _postgresDatabase;
#else
        Settings["ConnectionStrings:Helpline"] = $"Data Source={DatabasePath}";
#endif
        Settings["DataProtection:KeysDirectory"] = Path.Combine(_directory, "dataprotection");
        Settings["Encryption:KeyFile"] = "";
        Settings["Encryption:CurrentKeyId"] = "test1";
        Settings["Encryption:Keys:test1"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        Settings["Encryption:BlindIndexKey"] = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
        Settings["Twilio:AuthToken"] = AuthToken;
        Settings["Twilio:AccountSid"] = FakeTwilioApi.AccountSid;
        Settings["Helpline:Name"] = "the Test Helpline";
        Settings["Helpline:HotlineNumber"] = "+18005550100";
        Settings["Helpline:CrisisLineNumber"] = "+18002738255";
        Settings["Helpline:TimeZone"] = "America/New_York";
        foreach (var day in Enum.GetNames<DayOfWeek>())
            Settings[$"Helpline:OpeningHours:{day}"] = "08:00-22:00";
        Settings["Disclosure:Version"] = "test-2026-11";
        Settings["Disclosure:English"] = "This line is answered by trained advisors of a non-profit helpline. No treatment provider pays for your call.";
        Settings["Disclosure:Spanish"] = "Esta línea la atienden consejeros capacitados de una línea sin fines de lucro. Ningún proveedor de tratamiento paga por su llamada.";
        Settings["Logging:LogLevel:Default"] = "Information";
        Settings["Simulator:Enabled"] = "false";
        Settings["DataDirectory"] = _directory;
        Settings["Hangfire:ServerEnabled"] = "false";
        Settings["Simulator:AppBaseUrl"] = "http://localhost";
    }

    /// <summary>Why no app can be built on this machine (Helpline.PostgresTests without PostgreSQL), or null.</summary>
#if POSTGRES
    public static string? DatabaseUnavailable => Helpline.PostgresTests.Servers.PostgresServer.Shared.Unavailable;
#else
    public static string? DatabaseUnavailable => null;
#endif

    public Dictionary<string, string?> Settings { get; } = [];

    public string DatabasePath => Path.Combine(_directory, "helpline.db");

    public FakeTimeProvider Clock { get; }

    /// <summary>Run on the machine's clock instead of <see cref="Clock"/>: for what Hangfire's own timers drive (a callback surge).</summary>
    public bool RealClock { get; init; }

    /// <summary>
    /// Hash staff passwords at the app's own cost, as Accounts/PasswordHashingTests checks. Other
    /// tests use the same algorithm with fewer rounds: at Identity's 100,000 rounds a hash or a check
    /// costs a core about a tenth of a second, and the suite creates and signs in staff over a
    /// thousand times, on two cores.
    /// </summary>
    public bool RealPasswordHashing { get; init; }

    public CapturedLogs Logs { get; } = new();

    /// <summary>Twilio's REST API as the app's Twilio SDK sees it: every request recorded.</summary>
    public FakeTwilioApi Twilio { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
#if !POSTGRES
        if (Settings["ConnectionStrings:Helpline"] == $"Data Source={DatabasePath}" && !File.Exists(DatabasePath))
            SqliteTemplate.CopyTo(DatabasePath);
#endif
        // UseSetting, not ConfigureAppConfiguration: the app reads some settings while it is being built.
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            if (!RealClock)
                services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILoggerProvider>(Logs);
            if (!RealPasswordHashing)
                services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000);
            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ClientAddressFromTestHeader>();
            services.AddHttpClient(Helpline.Telephony.TelephonyExtensions.TwilioHttpClient).ConfigurePrimaryHttpMessageHandler(() => Twilio);
            // Where the simulator is on, its webhooks reach this in-process server.
            services.AddHttpClient(Helpline.Telephony.Simulator.TwilioSimulator.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Server.CreateHandler());
        });
    }

    /// <summary>
    /// A browser on HTTPS (staff cookies are Secure outside Development) that does not follow
    /// redirects, so tests see them.
    /// </summary>
    public HttpClient CreateBrowser() => CreateClient(new WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri("https://localhost"),
        AllowAutoRedirect = false,
        HandleCookies = true,
    });

    public async Task<T> WithDbAsync<T>(Func<HelplineDb, Task<T>> read)
    {
        await using var scope = Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<HelplineDb>());
    }

    public const string StaffPassword = "Correct-horse-battery-9";

    public async Task<string> CreateStaffAsync(string email, string role, AdvisorLanguages languages = AdvisorLanguages.English,
        Presence presence = Presence.Offline, string? dialNumber = "+15005550199", string password = StaffPassword)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = new StaffUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = email, Languages = languages,
            Presence = presence, DialNumber = dialNumber, PresenceChangedAt = Clock.GetUtcNow().UtcDateTime,
        };
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        return user.Id;
    }

    /// <summary>An advisor signed in and available, so calls are queued rather than sent to voicemail.</summary>
    public Task<string> AdvisorOnDutyAsync(string email = "on-duty@test.example", AdvisorLanguages languages = AdvisorLanguages.English | AdvisorLanguages.Spanish) =>
        CreateStaffAsync(email, Roles.Advisor, languages, Presence.Available);

    /// <summary>Signs in through the sign-in page and returns the signed-in browser and its cookie.</summary>
    public async Task<StaffSession> SignInAsync(string email, string password = StaffPassword)
    {
        var browser = CreateBrowser();
        var response = await browser.PostSignInAsync(email, password);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("helpline.staff="));
        return new StaffSession(this, browser, cookie);
    }

    /// <summary>POSTs form parameters to a /twilio/ route, signed as Twilio signs them.</summary>
    public async Task<HttpResponseMessage> PostTwilioAsync(string pathAndQuery, IReadOnlyDictionary<string, string> form, HttpClient? client = null, string? signedUrl = null, string token = AuthToken)
    {
        client ??= CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSigning.Sign(token, signedUrl ?? "http://localhost" + pathAndQuery, form));
        return await client.SendAsync(request);
    }

    /// <summary>
    /// What Hangfire's store holds, for a failing test's message: Hangfire logs through a
    /// process-wide provider, so its own log lines may have gone to another app of the test run.
    /// </summary>
    public string DescribeJobs()
    {
        try
        {
            var monitoring = Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
            var stats = monitoring.GetStatistics();
            var lines = new List<string>
            {
                $"servers {stats.Servers}, scheduled {stats.Scheduled}, enqueued {stats.Enqueued}, processing {stats.Processing}, succeeded {stats.Succeeded}, failed {stats.Failed}, retries {stats.Retries}",
            };
            lines.AddRange(monitoring.Servers().Select(s => $"server {s.Name}: workers {s.WorkersCount}, started {s.StartedAt:O}, heartbeat {s.Heartbeat:O}"));
            lines.AddRange(monitoring.ProcessingJobs(0, 10).Select(j => $"processing {j.Key} on {j.Value.ServerId} since {j.Value.StartedAt:O}"));
            lines.AddRange(monitoring.FailedJobs(0, 10).Select(j => $"failed {j.Key} at {j.Value.FailedAt:O}: {j.Value.ExceptionType}: {j.Value.ExceptionMessage}"));
            lines.AddRange(monitoring.ScheduledJobs(0, 10).Select(j => $"scheduled {j.Key} for {j.Value.EnqueueAt:O}"));
            foreach (var queue in monitoring.Queues())
                lines.Add($"queue {queue.Name}: {queue.Length} enqueued, {queue.Fetched} fetched");
            return string.Join("\n", lines);
        }
        catch (Exception e)
        {
            return $"(could not read Hangfire's store: {e.Message})";
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
#if POSTGRES
        Helpline.PostgresTests.Servers.PostgresServer.Shared.DropDatabase(_postgresDatabase);
#else
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
#endif
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open on this machine; the temp folder is cleaned by the OS.
        }
    }
}

#if !POSTGRES
/// <summary>
/// A SQLite database with every migration applied, made once per test run and copied for each app
/// that starts on a new file, as PostgreSQL's tests copy a template database. Applying the
/// migrations builds each one's model, which cost every test about a second of a core; the app's
/// own start still checks the copy is up to date, and the migration tests start from empty files.
/// </summary>
internal static class SqliteTemplate
{
    private static readonly Lazy<string> File = new(Create);

    public static void CopyTo(string path) => System.IO.File.Copy(File.Value, path);

    private static string Create()
    {
        var directory = Directory.CreateTempSubdirectory("helpline-template-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        var path = Path.Combine(directory, "helpline.db");
        var options = new DbContextOptionsBuilder<SqliteHelplineDb>()
            .UseSqlite($"Data Source={path};Pooling=False").Options;
        using var db = new SqliteHelplineDb(options, new Helpline.Data.Protection.FieldProtector(Helpline.Data.Protection.FieldKeyRing.Generate()));
        db.Database.Migrate();
        return path;
    }
}
#endif

/// <summary>
/// The test server has no client address; a test that needs many (limits are per address) says
/// which with <see cref="Header"/>. Runs before the app's own middleware.
/// </summary>
public sealed class ClientAddressFromTestHeader : Microsoft.AspNetCore.Hosting.IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (System.Net.IPAddress.TryParse(context.Request.Headers[Header].ToString(), out var address))
                context.Connection.RemoteIpAddress = address;
            return nextMiddleware(context);
        });
        next(app);
    };
}

/// <summary>Every log line the app writes, with the values of its structured state.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            logs._lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            logs._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} | {values} | {exception}{Offsets(exception)}");
        }

        /// <summary>
        /// Where in each frame the exception was thrown (IL offsets): a fault inside the framework that
        /// happens once in thousands of runs can then be placed to the instruction from its log line.
        /// </summary>
        private static string Offsets(Exception? exception) => exception is null ? "" :
            " | IL offsets: " + string.Join("; ", new System.Diagnostics.StackTrace(exception, false).GetFrames().Take(4)
                .Select(f => $"{f.GetMethod()?.DeclaringType?.FullName}.{f.GetMethod()?.Name}+0x{f.GetILOffset():x}"));
    }
}
