using System.Net;
using Helpline.Accounts;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Helpline.Tests.Infrastructure;

public sealed class SecurityHeadersTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Theory]
    [InlineData("/")]
    [InlineData("/get-help")]
    [InlineData("/sign-in")]
    [InlineData("/healthz")]
    public async Task PublicPagesForbidInlineScriptFramingAndSniffing(string path)
    {
        var response = await _app.CreateBrowser().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertStrictHeaders(response);
    }

    [Fact]
    public async Task StaffPageAndApiAreNeverStored()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");

        var page = await advisor.Browser.GetAsync("/staff");
        var api = await advisor.Browser.GetAsync("/api/queue");

        foreach (var response in new[] { page, api })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            AssertStrictHeaders(response);
            Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        }
    }

    [Fact]
    public async Task RefusedAnonymousApiCallIsNotStoredEither()
    {
        var response = await _app.CreateBrowser().GetAsync("/api/queue");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertStrictHeaders(response);
        Assert.True(response.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task StaticFilesMayBeCachedButAreRevalidated()
    {
        var response = await _app.CreateBrowser().GetAsync("/css/site.css");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.False(response.Headers.CacheControl.NoStore);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task OnlyHangfireDashboardAllowsInlineScript()
    {
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");

        var response = await supervisor.Browser.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Equal(SecurityHeaders.HangfireContentSecurityPolicy, csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }

    [Fact]
    public async Task HttpsRequestsOutsideDevelopmentGetStrictTransportSecurity()
    {
        // HSTS is never sent to localhost, so ask as the public host would be asked.
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://help.example.org"), AllowAutoRedirect = false });

        var response = await browser.GetAsync("/");

        Assert.Equal("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
    }

    [Fact]
    public async Task StaffCookieIsSecureHttpOnlyAndSameSiteStrict()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var browser = _app.CreateBrowser();

        var response = await browser.PostSignInAsync("advisor@test.example", HelplineApp.StaffPassword);

        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("helpline.staff=")).ToLowerInvariant();
        Assert.Contains("; secure", cookie);
        Assert.Contains("; httponly", cookie);
        Assert.Contains("; samesite=strict", cookie);
    }

    [Fact]
    public async Task AntiforgeryCookieIsHttpOnlyAndSameSite()
    {
        var response = await _app.CreateBrowser().GetAsync("/get-help");

        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery.")).ToLowerInvariant();
        Assert.Contains("; httponly", cookie);
        Assert.Contains("; samesite=strict", cookie);
        Assert.Contains("; secure", cookie);
    }

    private static void AssertStrictHeaders(HttpResponseMessage response)
    {
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("camera=()", response.Headers.GetValues("Permissions-Policy").Single());
        Assert.True(response.Headers.CacheControl?.NoStore, $"{response.RequestMessage!.RequestUri} should not be stored");
    }
}
