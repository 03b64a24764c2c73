using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Accounts;

public sealed partial class StaffAccessTests : IAsyncLifetime
{
    private const string Password = "Correct-horse-battery-9";
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Theory]
    [InlineData("/staff")]
    [InlineData("/sign-out")]
    [InlineData("/no-such-page")]
    public async Task AnonymousVisitorIsSentToSignIn(string path)
    {
        var response = await _app.CreateBrowser().GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/sign-in?ReturnUrl=", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task AnonymousScriptGetsUnauthorizedNotASignInPage()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/staff");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var response = await _app.CreateBrowser().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/who-answers")]
    [InlineData("/sign-in")]
    [InlineData("/healthz")]
    [InlineData("/css/site.css")]
    public async Task PublicPagesAnswerWithoutSignIn(string path)
    {
        var response = await _app.CreateBrowser().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task WhoAnswersShowsTheDisclosureAndItsVersion()
    {
        var html = await _app.CreateClient().GetStringAsync("/who-answers");

        Assert.Contains("answered by trained advisors", html);
        Assert.Contains("test-2026-11", html);
        Assert.Contains("tel:988", html);
    }

    [Fact]
    public async Task HealthIsReadyOnceTheDatabaseIsMigrated()
    {
        var response = await _app.CreateClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AdvisorSignsInAndSeesWhoIsWaitingWithMaskedNumbers()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available, password: Password);
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));
        await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", "1")));
        var browser = _app.CreateBrowser();

        var signedIn = await Forms.PostSignInAsync(browser, "advisor@test.example", Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/staff", signedIn.Headers.Location!.ToString());

        var page = await browser.GetAsync("/staff");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("1 waiting", html);
        Assert.Contains("0147", html);
        Assert.DoesNotContain("212555", html);
        Assert.DoesNotContain("(212)", html);
        Assert.DoesNotContain(CallerName, html);
    }

    [Fact]
    public async Task WrongPasswordIsRefusedWithAMessage()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, password: Password);
        var browser = _app.CreateBrowser();

        var response = await Forms.PostSignInAsync(browser, "advisor@test.example", "not-the-password-1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The email or password is not right.", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/staff")).StatusCode);
    }

    [Fact]
    public async Task SignInWithoutTheAntiforgeryTokenIsRefused()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, password: Password);

        var response = await _app.CreateBrowser().PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = "advisor@test.example",
            ["Password"] = Password,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
