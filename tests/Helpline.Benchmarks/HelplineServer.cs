using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Benchmarks;

/// <summary>
/// The real app, in this process, on real Kestrel on a loopback port: Production environment, a
/// SQLite file in a temp folder, fresh keys, the line open all day every day, logging at Warning.
/// </summary>
internal sealed partial class HelplineServer : WebApplicationFactory<Program>
{
    public const string StaffEmail = "bench-advisor@helpline.example";
    public const string StaffPassword = "Bench-mark-Advisor-2026!";

    private readonly string _directory;
    private readonly bool _logSql;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    /// <param name="logSql">Log every SQL command and transaction step the app runs (EF Core's Database.Command and .Transaction).</param>
    /// <param name="settings">Settings of this run on top of the benchmark's own.</param>
    public HelplineServer(string directory, bool logSql = false, Dictionary<string, string?>? settings = null)
    {
        _directory = directory;
        _logSql = logSql;
        _settings = settings ?? [];
        // Port 0: Kestrel picks a free port, read back from the server's addresses after start.
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    public string DatabasePath => Path.Combine(_directory, "helpline.db");

    public Uri BaseUri { get; private set; } = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        // UseSetting, not ConfigureAppConfiguration: the app reads some settings while it is being built.
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Helpline"] = $"Data Source={DatabasePath}",
            ["DataProtection:KeysDirectory"] = Path.Combine(_directory, "dataprotection"),
            ["DataDirectory"] = _directory,
            ["Encryption:KeyFile"] = "",
            ["Encryption:CurrentKeyId"] = "bench1",
            ["Encryption:Keys:bench1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Encryption:BlindIndexKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Twilio:AuthToken"] = TwilioRequests.AuthToken,
            ["Twilio:AccountSid"] = "AC" + new string('0', 32),
            ["Twilio:PublicBaseUrl"] = "",
            ["Helpline:Name"] = "the Benchmark Helpline",
            ["Helpline:HotlineNumber"] = "+18005550100",
            ["Helpline:CrisisLineNumber"] = "+18002738255",
            ["Helpline:TimeZone"] = "America/New_York",
            ["Disclosure:Version"] = "bench-2026-11",
            ["Disclosure:English"] = "This line is answered by trained advisors of a non-profit helpline. No treatment provider pays for your call.",
            ["Disclosure:Spanish"] = "Esta línea la atienden consejeros capacitados de una línea sin fines de lucro. Ningún proveedor de tratamiento paga por su llamada.",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = _logSql ? "Information" : "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Transaction"] = _logSql ? "Debug" : "Warning",
        };
        // Open whenever the benchmark runs.
        foreach (var day in Enum.GetNames<DayOfWeek>())
            settings[$"Helpline:OpeningHours:{day}"] = "00:00-24:00";
        foreach (var (key, value) in _settings)
            settings[key] = value;
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
    }

    /// <summary>Starts Kestrel and reads back the loopback port it listens on.</summary>
    public void Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel reports no addresses.");
        var address = new Uri(addresses.Single());
        BaseUri = new Uri($"http://127.0.0.1:{address.Port}");
    }

    /// <summary>An advisor, signed in to answer (presence Available), so calls are queued rather than sent to voicemail.</summary>
    public async Task CreateAdvisorAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = new StaffUser
        {
            UserName = StaffEmail, Email = StaffEmail, EmailConfirmed = true, DisplayName = "Benchmark Advisor",
            Languages = AdvisorLanguages.English | AdvisorLanguages.Spanish, Presence = Presence.Available,
            DialNumber = "+15005550199", PresenceChangedAt = DateTime.UtcNow,
        };
        var created = await users.CreateAsync(user, StaffPassword);
        if (!created.Succeeded)
            throw new InvalidOperationException("Could not create the advisor: " + string.Join("; ", created.Errors.Select(e => e.Description)));
        var role = await users.AddToRoleAsync(user, Roles.Advisor);
        if (!role.Succeeded)
            throw new InvalidOperationException("Could not make the user an advisor: " + string.Join("; ", role.Errors.Select(e => e.Description)));
    }

    /// <summary>A member of staff with the benchmark's password; an advisor made available answers at once.</summary>
    public async Task CreateStaffAsync(string email, string role, bool available)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = new StaffUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = email.Split('@')[0],
            Languages = AdvisorLanguages.English | AdvisorLanguages.Spanish, Presence = available ? Presence.Available : Presence.Offline,
            DialNumber = "+15005550199", PresenceChangedAt = DateTime.UtcNow,
        };
        var created = await users.CreateAsync(user, StaffPassword);
        if (!created.Succeeded)
            throw new InvalidOperationException($"Could not create {email}: " + string.Join("; ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
    }

    public const string SupervisorEmail = "bench-supervisor@helpline.example";

    /// <summary>A supervisor (created if missing), signed in; returns the staff cookie.</summary>
    public async Task<string> SignInSupervisorAsync()
    {
        await using (var scope = Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
            if (await users.FindByEmailAsync(SupervisorEmail) is null)
            {
                var user = new StaffUser { UserName = SupervisorEmail, Email = SupervisorEmail, EmailConfirmed = true, DisplayName = "Benchmark Supervisor", PresenceChangedAt = DateTime.UtcNow };
                var created = await users.CreateAsync(user, StaffPassword);
                if (!created.Succeeded)
                    throw new InvalidOperationException("Could not create the supervisor: " + string.Join("; ", created.Errors.Select(e => e.Description)));
                await users.AddToRoleAsync(user, Roles.Supervisor);
            }
        }
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        return await SignInAsync(http, SupervisorEmail);
    }

    /// <summary>
    /// Signs in once through /sign-in, with the anti-forgery token and cookie, and returns the staff
    /// cookie ("helpline.staff=…"). It is marked Secure outside Development, so it is read from
    /// Set-Cookie and sent by hand rather than through a cookie container.
    /// </summary>
    public async Task<string> SignInAsync(HttpClient http, string email = StaffEmail)
    {
        using var page = await http.GetAsync(new Uri(BaseUri, "/sign-in"));
        page.EnsureSuccessStatusCode();
        var html = await page.Content.ReadAsStringAsync();
        var token = AntiforgeryToken(html);
        var antiforgeryCookies = CookiesFrom(page).Where(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal)).ToList();

        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUri, "/sign-in"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = email,
                ["Password"] = StaffPassword,
                ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", antiforgeryCookies));
        using var response = await http.SendAsync(post);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Sign-in answered {(int)response.StatusCode}, not a redirect.");
        return CookiesFrom(response).SingleOrDefault(c => c.StartsWith("helpline.staff=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Sign-in set no helpline.staff cookie.");
    }

    public async Task<T> WithDbAsync<T>(Func<HelplineDb, Task<T>> read)
    {
        await using var scope = Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<HelplineDb>());
    }

    public Task<long?> ContactIdAsync(string callSid) =>
        WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => c.CallSid == callSid).Select(c => (long?)c.Id).SingleOrDefaultAsync());

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    /// <summary>The anti-forgery token in a page's form.</summary>
    public static string AntiforgeryToken(string html) => AntiforgeryField().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("No anti-forgery token on the page.");

    public static IEnumerable<string> CookiesFrom(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]) : [];

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
