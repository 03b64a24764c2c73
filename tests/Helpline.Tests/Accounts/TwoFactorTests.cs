using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Accounts;

/// <summary>
/// Two-factor sign-in with an authenticator app: the codes are computed here from the key the page
/// shows, as an app would (RFC 6238), on the real clock, as Identity checks them.
/// </summary>
public sealed partial class TwoFactorTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public void TheTestsAuthenticatorMatchesRfc6238sVectors()
    {
        var key = Encoding.ASCII.GetBytes("12345678901234567890");
        Assert.Equal("94287082", Totp.Code(key, 59 / 30, 8));
        Assert.Equal("07081804", Totp.Code(key, 1111111109 / 30, 8));
        Assert.Equal("89005924", Totp.Code(key, 1234567890 / 30, 8));
        Assert.Equal("3132333435", Convert.ToHexString(Totp.Base32("gezd gnbv")));
    }

    [Fact]
    public async Task StaffWhoTurnTwoFactorOnAreAskedForTheCodeAtEverySignIn()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");

        var key = await EnrolAsync(advisor);

        // The key is kept encrypted, like callers' details.
        Assert.All(RawTokenValues(), v => Assert.StartsWith("hx1.test1.", v));

        var browser = _app.CreateBrowser();
        var password = await browser.PostSignInAsync("advisor@test.example", HelplineApp.StaffPassword);
        Assert.Equal(HttpStatusCode.Redirect, password.StatusCode);
        Assert.StartsWith("/sign-in/two-factor", password.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/staff")).StatusCode); // not signed in yet

        var wrong = await PostCodeAsync(browser, code: Wrong(Totp.Code(key, DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("That authenticator code is not right", WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()));
        var notACode = await PostCodeAsync(browser, code: "12ab");
        Assert.Equal(HttpStatusCode.BadRequest, notACode.StatusCode);
        Assert.Contains("id=\"code-error\"", await notACode.Content.ReadAsStringAsync());

        var right = await PostCodeAsync(browser, code: Totp.Code(key, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/staff", right.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/staff")).StatusCode);

        var audit = await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.UserName == "advisor@test.example").OrderBy(a => a.Id).Select(a => a.Action + " " + a.Details).ToListAsync());
        Assert.Contains(audit, a => a.StartsWith("staff.two-factor-enabled advisor@test.example"));
        Assert.Contains(audit, a => a.StartsWith("staff.two-factor-asked"));
        Assert.Contains(audit, a => a.StartsWith("staff.sign-in-failed wrong authenticator code"));
        Assert.Contains(audit, a => a.StartsWith("staff.signed-in password and authenticator code"));
    }

    [Fact]
    public async Task ARecoveryCodeSignsInOnceAndTurningTwoFactorOffNeedsACode()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (key, codes) = await EnrolWithCodesAsync(advisor);
        Assert.Equal(10, codes.Count);

        var browser = _app.CreateBrowser();
        await browser.PostSignInAsync("advisor@test.example", HelplineApp.StaffPassword);
        Assert.Equal(HttpStatusCode.Redirect, (await PostCodeAsync(browser, recovery: codes[0])).StatusCode);
        var again = _app.CreateBrowser();
        await again.PostSignInAsync("advisor@test.example", HelplineApp.StaffPassword);
        Assert.Equal(HttpStatusCode.OK, (await PostCodeAsync(again, recovery: codes[0])).StatusCode); // used: refused, the page again
        Assert.Contains(await _app.WithDbAsync(db => db.AuditEntries.Select(a => a.Details).ToListAsync()), d => d == "password and recovery code; 9 recovery code(s) left");

        var (refused, _) = await advisor.SubmitAsync("/account/two-factor", "/account/two-factor?handler=Disable", new() { ["Code"] = Wrong(Totp.Code(key, DateTimeOffset.UtcNow)) });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var (off, html) = await advisor.SubmitAsync("/account/two-factor", "/account/two-factor?handler=Disable", new() { ["Code"] = Totp.Code(key, DateTimeOffset.UtcNow) });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.Contains("Two-factor sign-in is off.", html);
        var passwordOnly = await _app.CreateBrowser().PostSignInAsync("advisor@test.example", HelplineApp.StaffPassword);
        Assert.Equal("/staff", passwordOnly.Headers.Location!.OriginalString);
        Assert.Contains(await _app.WithDbAsync(db => db.AuditEntries.Select(a => a.Action + " " + a.Details).ToListAsync()), a => a == "staff.two-factor-disabled advisor@test.example: by themselves");
    }

    [Fact]
    public async Task WhenRequiredAnAdminWithoutTwoFactorIsSentToEnrolBeforeAnythingElse()
    {
        _app.Settings["Security:RequireTwoFactorForAdmins"] = "true";
        await _app.CreateStaffAsync("admin@test.example", Roles.Admin);
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var admin = await _app.SignInAsync("admin@test.example");

        foreach (var path in new[] { "/staff", "/admin/staff", "/audit", "/" })
        {
            var page = await admin.Browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.Equal("/account/two-factor?required=true", page.Headers.Location!.OriginalString);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Browser.GetAsync("/api/queue")).StatusCode);
        Assert.Contains("Admins must use two-factor sign-in", await admin.Browser.GetStringAsync("/account/two-factor?required=true"));
        var advisor = await _app.SignInAsync("advisor@test.example");
        Assert.Equal(HttpStatusCode.OK, (await advisor.Browser.GetAsync("/staff")).StatusCode); // advisors may choose

        var key = await EnrolAsync(admin);

        Assert.Equal(HttpStatusCode.OK, (await admin.Browser.GetAsync("/admin/staff")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Browser.GetAsync("/api/queue")).StatusCode);
        var (refused, html) = await admin.SubmitAsync("/account/two-factor", "/account/two-factor?handler=Disable", new() { ["Code"] = Totp.Code(key, DateTimeOffset.UtcNow) });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("it cannot be turned off", html);
    }

    private async Task<string> EnrolAsync(StaffSession session) => (await EnrolWithCodesAsync(session)).Key;

    private static async Task<(string Key, List<string> Codes)> EnrolWithCodesAsync(StaffSession session)
    {
        var page = await session.Browser.GetStringAsync("/account/two-factor");
        var key = SharedKey().Match(page).Groups[1].Value;
        Assert.Matches("^[a-z2-7]{4}( [a-z2-7]{1,4})+$", key);
        Assert.Contains("otpauth://totp/", page);

        var (wrong, wrongHtml) = await session.SubmitAsync("/account/two-factor?handler=Enable", new() { ["Code"] = Wrong(Totp.Code(key, DateTimeOffset.UtcNow)) }, Forms.Token(page));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("That code is not right", wrongHtml);

        var (right, html) = await session.SubmitAsync("/account/two-factor", "/account/two-factor?handler=Enable", new() { ["Code"] = Totp.Code(key, DateTimeOffset.UtcNow) });
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("Two-factor sign-in is on.", html);
        var codes = RecoveryCode().Matches(html).Select(m => m.Groups[1].Value).ToList();
        return (key, codes);
    }

    private static async Task<HttpResponseMessage> PostCodeAsync(HttpClient browser, string? code = null, string? recovery = null) =>
        await browser.PostAsync("/sign-in/two-factor", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Code"] = code ?? "",
            ["RecoveryCode"] = recovery ?? "",
            ["__RequestVerificationToken"] = await browser.TokenAsync("/sign-in/two-factor"),
        }));

    /// <summary>A code that is not the right one (nor one of its neighbours, most likely).</summary>
    private static string Wrong(string code) => ((int.Parse(code) + 500_000) % 1_000_000).ToString("D6");

    /// <summary>The stored values as the database holds them, read past the app's converters (on either provider).</summary>
    private List<string> RawTokenValues()
    {
        var values = _app.WithDbAsync(db => db.Database.SqlQueryRaw<string>("SELECT \"Value\" AS \"Value\" FROM \"AspNetUserTokens\"").ToListAsync()).Result;
        Assert.NotEmpty(values);
        return values;
    }

    [GeneratedRegex("id=\"shared-key\">([^<]+)<")]
    private static partial Regex SharedKey();

    [GeneratedRegex("<li><code>([^<]+)</code></li>")]
    private static partial Regex RecoveryCode();
}
