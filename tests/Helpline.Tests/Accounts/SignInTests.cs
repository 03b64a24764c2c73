using System.Net;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Accounts;

public sealed partial class SignInTests : IAsyncLifetime
{
    private const string Email = "advisor@test.example";
    private const string WrongPassword = "Wrong-horse-battery-7";
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task EveryAttemptIsLoggedAndAuditedWithoutThePasswordOrTheName()
    {
        var userId = await _app.CreateStaffAsync(Email, Roles.Advisor);
        var browser = _app.CreateBrowser();

        Assert.Equal(HttpStatusCode.OK, (await Forms.PostSignInAsync(browser, Email, WrongPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Forms.PostSignInAsync(browser, "Secret-typed-as-name@nowhere.example", WrongPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await Forms.PostSignInAsync(browser, Email, HelplineApp.StaffPassword)).StatusCode);

        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(["staff.sign-in-failed", "staff.sign-in-failed", "staff.signed-in"], audit.Select(a => a.Action));
        Assert.Equal(userId, audit[0].UserId);
        Assert.Equal(Email, audit[0].UserName);
        Assert.Null(audit[1].UserId);
        Assert.StartsWith("unknown #", audit[1].UserName);
        Assert.Equal(userId, audit[2].UserId);
        Assert.All(audit, a => Assert.DoesNotContain("Secret", $"{a.UserName} {a.Details}"));

        var signInLogs = _app.Logs.Lines.Where(l => l.Contains("sign-in", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(3, signInLogs.Count(l => l.Contains("Staff sign-in")));
        Assert.Contains(signInLogs, l => l.Contains("a•••@test.example") && l.Contains("succeeded"));
        Assert.Contains(signInLogs, l => l.Contains("unknown #") && l.Contains("no such account"));
        foreach (var line in _app.Logs.Lines)
        {
            Assert.DoesNotContain(WrongPassword, line);
            Assert.DoesNotContain(HelplineApp.StaffPassword, line);
            Assert.DoesNotContain("Secret-typed-as-name", line);
            Assert.DoesNotContain(Email, line);
        }
    }

    [Fact]
    public async Task FifthWrongPasswordLocksTheAccountEvenAgainstTheRightOne()
    {
        await _app.CreateStaffAsync(Email, Roles.Advisor);
        var browser = _app.CreateBrowser();

        for (var i = 0; i < 5; i++)
            await Forms.PostSignInAsync(browser, Email, WrongPassword);
        var response = await Forms.PostSignInAsync(browser, Email, HelplineApp.StaffPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("This account is locked", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/staff")).StatusCode);
        var actions = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        Assert.Equal(1, actions.Count(a => a == "staff.locked-out"));
        Assert.Equal("staff.sign-in-locked-out", actions[^1]);
        Assert.Contains(_app.Logs.Lines, l => l.StartsWith("Warning") && l.Contains("locked for 15 minutes"));
    }

    [Fact]
    public async Task TooManyAttemptsFromOneAddressAreAskedToWait()
    {
        _app.Settings["SignIn:PerAddressPerWindow"] = "3";
        await _app.CreateStaffAsync(Email, Roles.Advisor);
        var browser = _app.CreateBrowser();

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await Forms.PostSignInAsync(browser, $"someone{i}@test.example", WrongPassword)).StatusCode);
        var refused = await Forms.PostSignInAsync(browser, Email, HelplineApp.StaffPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains(SignInLimits.TooManyMessage, await refused.Content.ReadAsStringAsync());
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/sign-in")).StatusCode);
    }

    [Fact]
    public async Task TooManyAttemptsOnOneAccountAreAskedToWait()
    {
        _app.Settings["SignIn:PerAccountPerWindow"] = "2";
        await _app.CreateStaffAsync(Email, Roles.Advisor);

        // From different browsers (as from different places): the account name is what counts.
        await _app.CreateBrowser().PostSignInAsync(Email, WrongPassword);
        await _app.CreateBrowser().PostSignInAsync(Email.ToUpperInvariant(), WrongPassword);
        var refused = await _app.CreateBrowser().PostSignInAsync(Email, HelplineApp.StaffPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains(SignInLimits.TooManyMessage, WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.DoesNotContain(refused.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("helpline.staff=")));
        Assert.Contains("staff.sign-in-throttled", await _app.WithDbAsync(db => db.AuditEntries.Select(a => a.Action).ToListAsync()));
    }

    [Theory]
    [InlineData("Short-1a")]
    [InlineData("no-capitals-at-all-9")]
    [InlineData("NO-SMALL-LETTERS-9")]
    [InlineData("No-digits-anywhere")]
    [InlineData("NoSymbolsAnywhere9")]
    [InlineData("Aa1!Aa1!Aa1!Aa1!")]
    public async Task WeakStaffPasswordsAreRefused(string password)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();

        var created = await users.CreateAsync(new StaffUser { UserName = Email, Email = Email, DisplayName = "Weak" }, password);

        Assert.False(created.Succeeded);
    }
}
