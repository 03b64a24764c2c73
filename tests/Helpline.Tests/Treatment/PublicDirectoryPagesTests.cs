using System.Net;
using Helpline.Tests.Infrastructure;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>The anonymous pages: rehab programs by state, treatment centers by city, site search.</summary>
public sealed class PublicDirectoryPagesTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public async ValueTask InitializeAsync() => await _app.ImportFixturesAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        var response = await _app.CreateBrowser().GetAsync(path);
        return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    private static void OffersTheHotlineAndACallback(string html)
    {
        Assert.Contains("href=\"tel:+18005550100\"", html);
        Assert.Contains("href=\"/get-help\"", html);
    }

    [Fact]
    public async Task TheStatePageListsItsCitiesForAnyoneWithTheHotline()
    {
        var (status, html) = await GetAsync("/treatment/co");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<h1>Rehab programs in Colorado</h1>", html);
        Assert.Contains("<a href=\"/treatment/co/denver\">Denver</a> (2)", html);
        Assert.Contains("<a href=\"/treatment/co/colorado-springs\">Colorado Springs</a> (1)", html);
        Assert.DoesNotContain("Boston", html);
        OffersTheHotlineAndACallback(html);
    }

    [Fact]
    public async Task TheCityPageListsTreatmentCentersWithTheirIntakeNumbersAndServices()
    {
        var (status, html) = await GetAsync("/treatment/co/denver");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<title>Denver, CO treatment centers", html);
        Assert.Contains("<h1>Treatment centers in Denver, Colorado</h1>", html);
        Assert.Contains("<h3>Front Range Residential</h3>", html);
        Assert.Contains("<h3>Mile High Recovery Center</h3>", html);
        Assert.Contains("<a href=\"tel:+13035550101\">1-303-555-0101</a>", html);
        Assert.Contains("Services: Detox, Methadone, Buprenorphine, Medicaid, Sliding fee, Spanish", html);
        Assert.Contains("Source: SAMHSA", html);
        OffersTheHotlineAndACallback(html);
    }

    [Fact]
    public async Task APlaceWrittenAnotherWayIsRedirectedToItsAddress()
    {
        var response = await _app.CreateBrowser().GetAsync("/treatment/CO/Colorado%20Springs");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("/treatment/co/colorado-springs", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/treatment/co/atlantis")]
    [InlineData("/treatment/zz")]
    [InlineData("/treatment/wy")]
    [InlineData("/treatment/zz/denver")]
    public async Task AnUnknownPlaceIsNotFoundButStillOffersHelp(string path)
    {
        var (status, html) = await GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("We have no listings for that place", html);
        OffersTheHotlineAndACallback(html);
    }

    [Theory]
    [InlineData("GET", "/treatment/co")]
    [InlineData("HEAD", "/treatment/co/denver")]
    public async Task APlacePageAskedWithAnUnreadableFormBodyIsNotFoundRatherThanAServerError(string method, string path)
    {
        // Model binding gives up on the whole request when the form cannot be read, leaving the place unbound.
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent([1, 2, 3]) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=hx");

        var response = await _app.CreateBrowser().SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error"));
    }

    [Theory]
    [InlineData("80203", "Nearest to ZIP code 80203", "Mile High Recovery Center")]
    [InlineData("Pueblo, CO", "In Pueblo, Colorado", "Pueblo Methadone Clinic")]
    [InlineData("massachusetts", "In Massachusetts", "New England Recovery")]
    [InlineData("golden hope", "Names and cities with “golden hope”", "Golden Hope House")]
    public async Task TheSiteSearchTakesAZipACityAStateOrAName(string q, string understood, string first)
    {
        var (status, html) = await GetAsync("/treatment/search?q=" + Uri.EscapeDataString(q));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<h2>{understood}", html);
        Assert.Matches($"<ul class=\"facilities\">\\s*<li class=\"facility\">\\s*<h3>{first}</h3>", html);
        Assert.Contains("<label for=\"treatment-q\">", html);
        OffersTheHotlineAndACallback(html);
    }

    [Fact]
    public async Task TheListOfStatesLinksToEachStatePage()
    {
        var (status, html) = await GetAsync("/treatment");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<a href=\"/treatment/co\">Colorado</a> (9)", html);
        Assert.Contains("<a href=\"/treatment/ma\">Massachusetts</a> (1)", html);
        OffersTheHotlineAndACallback(html);
    }
}
