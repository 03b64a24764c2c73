using System.Net;
using System.Security.Claims;
using Helpline.Accounts;
using Deque.AxeCore.Commons;
using Helpline.Callbacks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Helpline.BrowserTests;

/// <summary>
/// The app on real Kestrel (a loopback port, a real SQLite file, the simulator playing Twilio) and
/// Debian's chromium under Playwright. Without chromium the tests skip with how to install it, except
/// under CI=true, where they fail: a broken install step must never pass.
/// </summary>
public sealed class BrowserApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string Password = "Browser-tests-2026!";

    private readonly string _directory = Directory.CreateTempSubdirectory("helpline-browser-").FullName;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;
    public Uri BaseUri { get; private set; } = null!;
    public string? Unavailable { get; private set; }

    public static string OutputDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>
    /// What axe checks on every page: WCAG 2.0, 2.1 and 2.2 at A and AA, and axe's best practices.
    /// Axe leaves the 2.2 rules (target size among them) out unless asked for by the wcag22aa tag.
    /// </summary>
    public static AxeRunOptions AxeRules => new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    };

    public BrowserApp()
    {
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Helpline"] = $"Data Source={Path.Combine(_directory, "helpline.db")}",
            ["DataProtection:KeysDirectory"] = Path.Combine(_directory, "dataprotection"),
            ["Encryption:KeyFile"] = "",
            ["Encryption:CurrentKeyId"] = "browser",
            ["Encryption:Keys:browser"] = Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()),
            ["Encryption:BlindIndexKey"] = Convert.ToBase64String(Enumerable.Range(70, 32).Select(i => (byte)i).ToArray()),
            ["Twilio:AuthToken"] = "browser-tests-token",
            ["Simulator:Enabled"] = "true",
            ["DataDirectory"] = _directory,
            ["Helpline:Name"] = "Helpline",
            ["Helpline:HotlineNumber"] = "+18005550100",
            ["Helpline:CrisisLineNumber"] = "+18002738255",
            ["Helpline:TimeZone"] = "America/New_York",
            ["Disclosure:Version"] = "browser-2026-11",
            ["Disclosure:English"] = "This line is answered by trained advisors of a non-profit helpline.",
            ["Disclosure:Spanish"] = "Esta línea la atienden consejeros capacitados de una línea sin fines de lucro.",
            ["Queue:HeartbeatSeconds"] = "2",
            // No internet here: the quick exit goes to a blank page instead of a search engine.
            ["Chat:QuickExitUrl"] = "about:blank",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var day in Enum.GetNames<DayOfWeek>())
            settings[$"Helpline:OpeningHours:{day}"] = "00:00-24:00";
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
    }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Unavailable = $"Chromium is not installed at {ChromiumPath}: apt-get install chromium";
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException(Unavailable + " (CI must install it; see .ci/run).");
            return;
        }
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address.Replace("://[::1]", "://localhost").Replace("://127.0.0.1", "://localhost"));
        Directory.CreateDirectory(OutputDirectory);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Skips the test on a machine without chromium (never under CI, where InitializeAsync has failed already).</summary>
    public void RequireBrowser() => Assert.SkipWhen(Unavailable is not null, Unavailable ?? "");

    public async Task<string> CreateStaffAsync(string email, string role, AdvisorLanguages languages = AdvisorLanguages.English | AdvisorLanguages.Spanish)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = new StaffUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = email.Split('@')[0],
            Languages = languages, DialNumber = "+13125550188", PresenceChangedAt = DateTime.UtcNow,
        };
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        return user.Id;
    }

    /// <summary>Every simulated caller hangs up, then every phone still ringing, so a test starts from an empty line.</summary>
    /// <summary>
    /// Empties the queue that the tests share: every call still going on is hung up, and every
    /// callback not yet made (a web-form request other tests left, due and waiting) is cancelled, as a
    /// supervisor would. Then "take next" takes what the test itself puts in the queue.
    /// </summary>
    public async Task EmptyTheQueueAsync()
    {
        var simulator = Services.GetRequiredService<Helpline.Telephony.Simulator.TwilioSimulator>();
        foreach (var call in simulator.Calls.Where(c => !c.Ended).OrderBy(c => c.Direction == "inbound" ? 0 : 1))
        {
            if (!call.Ended)
                await simulator.PersonHangsUpAsync(call.Sid);
            await simulator.IdleAsync(TimeSpan.FromSeconds(15));
        }
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
        var desk = scope.ServiceProvider.GetRequiredService<CallbackDesk>();
        var supervisor = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "browser tests")], "test"));
        var open = await db.Callbacks.Where(c => c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due).Select(c => c.Id).ToListAsync();
        foreach (var id in open)
            await desk.CancelAsync(id, supervisor);
        // A chat or a text conversation another test left open is left by its person, as a closed tab would.
        var conversations = scope.ServiceProvider.GetRequiredService<Helpline.Chat.Conversations>();
        var chats = await db.Contacts.Where(c => Helpline.Contacts.ContactChannels.Written.Contains(c.Channel) && (c.Status == Helpline.Contacts.ContactStatus.Waiting || c.Status == Helpline.Contacts.ContactStatus.InProgress))
            .Select(c => c.Id).ToListAsync();
        foreach (var id in chats)
            await conversations.LeaveAsync(id);
    }

    /// <summary>A new browser context (its own cookies) with a page that fails the test on any uncaught error or console error.</summary>
    public async Task<WatchedPage> NewPageAsync(ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUri.ToString(), ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        return new WatchedPage(context, page);
    }

    public new async ValueTask DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A page whose uncaught errors and console errors are collected; tests assert there were none they did not provoke.</summary>
public sealed class WatchedPage
{
    private readonly List<string> _errors = [];

    public WatchedPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.PageError += (_, error) => _errors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                _errors.Add($"console error: {message.Text} ({message.Location})");
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
                _errors.Add($"HTTP {response.Status} for {response.Request.Method} {response.Url}");
        };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Errors other than those the test provoked on purpose (e.g. a network drop).</summary>
    public void AssertNoErrors(params string[] provoked)
    {
        var unexpected = _errors.Where(e => !provoked.Any(p => e.Contains(p, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(unexpected.Count == 0, "The page reported errors:\n" + string.Join("\n", unexpected));
    }

    public async Task SignInAsync(string email, string password = BrowserApp.Password)
    {
        await Page.GotoAsync("/sign-in");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Signed in once the dashboard's document is there; its scripts and the hub connect after (tests wait for "Live" where they need it).
        await Page.WaitForURLAsync("**/staff", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
    }
}
