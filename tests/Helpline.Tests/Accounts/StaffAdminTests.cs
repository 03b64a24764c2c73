using System.Net;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Accounts;

/// <summary>The admins' staff page, posted as its forms post (with their antiforgery tokens).</summary>
public sealed partial class StaffAdminTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _admin = null!;
    private string _adminId = "";

    public async ValueTask InitializeAsync()
    {
        _adminId = await _app.CreateStaffAsync("admin@test.example", Roles.Admin);
        _admin = await _app.SignInAsync("admin@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task AnInvitedMemberOfStaffSetsTheirPasswordOnceThroughTheLinkShownToTheAdmin()
    {
        var (invited, html) = await _admin.SubmitAsync("/admin/staff", "/admin/staff?handler=Invite",
            new() { ["email"] = "new.supervisor@test.example", ["displayName"] = "Nia", ["role"] = Roles.Supervisor });

        Assert.Equal(HttpStatusCode.OK, invited.StatusCode);
        Assert.Contains("This helpline sends no email", html);
        Assert.Contains("Invited (no password yet)", html);
        var link = new Uri(SetPasswordLink().Match(html).Groups[1].Value);
        Assert.Equal("/set-password", link.AbsolutePath);

        var browser = _app.CreateBrowser();
        var form = await browser.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var token = Forms.Token(await form.Content.ReadAsStringAsync());
        var weak = await PostPasswordAsync(browser, link, token, "short", "short");
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Matches("id=\"password-error\"[^>]*>Passwords must be at least 12 characters", await weak.Content.ReadAsStringAsync());
        var mismatch = await PostPasswordAsync(browser, link, token, HelplineApp.StaffPassword, HelplineApp.StaffPassword + "x");
        Assert.Contains("The two passwords are not the same.", WebUtility.HtmlDecode(await mismatch.Content.ReadAsStringAsync()));

        var set = await PostPasswordAsync(browser, link, token, HelplineApp.StaffPassword, HelplineApp.StaffPassword);
        Assert.Contains("Your password is set.", await set.Content.ReadAsStringAsync());
        var again = await PostPasswordAsync(browser, link, token, "Another-horse-battery-8", "Another-horse-battery-8");
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("This link cannot be used", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.CreateBrowser().GetAsync(link.PathAndQuery)).StatusCode);

        var supervisor = await _app.SignInAsync("new.supervisor@test.example");
        Assert.Equal(HttpStatusCode.OK, (await supervisor.Browser.GetAsync("/wallboard")).StatusCode);
        var audit = await AuditAsync();
        Assert.Contains("staff.invited admin@test.example new.supervisor@test.example as Supervisor", audit);
        Assert.Contains("staff.password-set new.supervisor@test.example through a set-password link", audit.Select(a => Regex.Replace(a, "; from .*$", "")));
    }

    [Fact]
    public async Task ADisabledMemberOfStaffCannotSignInAndTheirSessionEndsWithinAMinute()
    {
        var advisorId = await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        Assert.Equal(HttpStatusCode.OK, (await advisor.Browser.GetAsync("/staff")).StatusCode);

        var (_, html) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Disable&id={advisorId}", []);
        Assert.Contains("advisor@test.example is disabled", html);
        Assert.Contains("Disabled since", RowOf(html, advisorId));

        _app.Clock.Advance(TimeSpan.FromSeconds(61));
        var page = await advisor.Browser.GetAsync("/staff");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/sign-in", page.Headers.Location!.AbsolutePath);
        Assert.Equal(HttpStatusCode.Unauthorized, (await advisor.Browser.GetAsync("/api/queue")).StatusCode);
        var refused = await _app.CreateBrowser().PostSignInAsync("advisor@test.example", HelplineApp.StaffPassword);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("The email or password is not right.", await refused.Content.ReadAsStringAsync());

        await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Enable&id={advisorId}", []);
        await _app.SignInAsync("advisor@test.example");
        var audit = await AuditAsync();
        Assert.Contains("staff.disabled admin@test.example advisor@test.example", audit);
        Assert.Contains(audit, a => a.StartsWith("staff.sign-in-failed advisor@test.example account disabled"));
        Assert.Contains("staff.enabled admin@test.example advisor@test.example", audit);
    }

    [Fact]
    public async Task RolesAnAdminAssignsApplyWithinAMinuteAndAreAudited()
    {
        var advisorId = await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        Assert.Equal(HttpStatusCode.Redirect, (await advisor.Browser.GetAsync("/wallboard")).StatusCode);

        var (_, html) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Roles&id={advisorId}", new() { ["roles"] = Roles.Supervisor });
        Assert.Contains("advisor@test.example: Supervisor.", html);

        _app.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await advisor.Browser.GetAsync("/wallboard")).StatusCode);
        Assert.Contains("staff.roles-changed admin@test.example advisor@test.example: Advisor → Supervisor", await AuditAsync());

        var (none, noneHtml) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Roles&id={advisorId}", []);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Contains("Tick at least one role", RowOf(noneHtml, advisorId));
        var (unknown, _) = await _admin.SubmitAsync("/admin/staff", "/admin/staff?handler=Roles&id=nobody", new() { ["roles"] = Roles.Admin });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task AnAdminCannotDisableThemselvesNorDropTheirOwnAdminRole()
    {
        var (disable, html) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Disable&id={_adminId}", []);
        Assert.Equal(HttpStatusCode.Conflict, disable.StatusCode);
        Assert.Contains("You cannot disable your own account.", html);

        var (roles, rolesHtml) = await _admin.SubmitAsync("/admin/staff", $"/admin/staff?handler=Roles&id={_adminId}", new() { ["roles"] = Roles.Supervisor });
        Assert.Equal(HttpStatusCode.Conflict, roles.StatusCode);
        Assert.Contains("You cannot remove your own admin role", rolesHtml);

        Assert.Equal(HttpStatusCode.OK, (await _admin.Browser.GetAsync("/admin/staff")).StatusCode);
        Assert.DoesNotContain(await AuditAsync(), a => a.StartsWith("staff.disabled") || a.StartsWith("staff.roles-changed"));
    }

    [Fact]
    public async Task TheListShowsRolesStateAndTwoFactorAndBadInvitesAreRefusedField()
    {
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var page = WebUtility.HtmlDecode(await _admin.Browser.GetStringAsync("/admin/staff"));
        Assert.Contains("data-email=\"supervisor@test.example\"", page);
        Assert.Contains("admin@test.example (you)", page);

        var (bad, html) = await _admin.SubmitAsync("/admin/staff", "/admin/staff?handler=Invite", new() { ["email"] = "not an email", ["displayName"] = "", ["role"] = "Boss" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Matches("id=\"email-error\" class=\"error\">Give the person's email address", html);
        Assert.Matches("id=\"displayName-error\" class=\"error\">Give a name", html);
        Assert.Matches("id=\"role-error\" class=\"error\">Choose a role", html);
        var (taken, takenHtml) = await _admin.SubmitAsync("/admin/staff", "/admin/staff?handler=Invite", new() { ["email"] = "supervisor@test.example", ["displayName"] = "Again", ["role"] = Roles.Advisor });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("There is already an account with this email.", takenHtml);

        var withoutToken = await _admin.Browser.PostAsync("/admin/staff?handler=Invite", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "x@test.example" }));
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var denied = await supervisor.Browser.GetAsync("/admin/staff");
        Assert.Equal("/access-denied", denied.Headers.Location!.AbsolutePath);
    }

    private static async Task<HttpResponseMessage> PostPasswordAsync(HttpClient browser, Uri link, string token, string password, string confirm)
    {
        var query = System.Web.HttpUtility.ParseQueryString(link.Query);
        return await browser.PostAsync("/set-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Id"] = query["id"]!, ["Token"] = query["token"]!, ["Password"] = password, ["Confirm"] = confirm, ["__RequestVerificationToken"] = token,
        }));
    }

    private static string RowOf(string html, string id) => Regex.Match(html, $"<tr id=\"staff-{id}\".*?</tr>", RegexOptions.Singleline).Value;

    private Task<List<string>> AuditAsync() => _app.WithDbAsync(db =>
        db.AuditEntries.OrderBy(a => a.Id).Select(a => a.Action + " " + a.UserName + " " + a.Details).ToListAsync());

    [GeneratedRegex("id=\"set-password-link\">([^<]+)<")]
    private static partial Regex SetPasswordLink();
}
