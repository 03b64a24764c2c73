using System.Net;
using System.Net.Http.Json;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Helpline.Treatment;
using Microsoft.EntityFrameworkCore;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>Search by service over the fixtures of every format; hidden and paid listings.</summary>
public sealed class DirectorySearchTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _advisor = null!;

    public async ValueTask InitializeAsync()
    {
        await _app.ImportFixturesAsync();
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        _advisor = await _app.SignInAsync("advisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<FacilitySearchResult> SearchAsync(string query)
    {
        var response = await _advisor.Browser.GetAsync("/api/directory/search?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<FacilitySearchResult>(StaffSession.Json))!;
    }

    [Theory]
    [InlineData("detox", "Aurora Withdrawal Center|Colorado Springs Treatment|Mile High Recovery Center")]
    [InlineData("methadone", "Colorado Springs Treatment|Mile High Recovery Center|Pueblo Methadone Clinic")]
    [InlineData("buprenorphine", "Boulder Outpatient Services|Colorado Springs Treatment|Lakewood Counseling|Mile High Recovery Center")]
    [InlineData("naltrexone", "Front Range Residential|Lakewood Counseling")]
    [InlineData("residential", "Aurora Withdrawal Center|Colorado Springs Treatment|Front Range Residential")]
    [InlineData("outpatient", "Boulder Outpatient Services|Front Range Residential|Lakewood Counseling|New England Recovery")]
    [InlineData("medicaid", "Aurora Withdrawal Center|Colorado Springs Treatment|Mile High Recovery Center|New England Recovery|Pueblo Methadone Clinic")]
    [InlineData("sliding fee", "Boulder Outpatient Services|Colorado Springs Treatment|Lakewood Counseling|Mile High Recovery Center")]
    [InlineData("spanish", "Aurora Withdrawal Center|Colorado Springs Treatment|Mile High Recovery Center")]
    public async Task SearchByServiceFindsTheFacilitiesThatOfferIt(string service, string expected)
    {
        var found = await SearchAsync("service=" + Uri.EscapeDataString(service));

        Assert.Equal(expected.Split('|'), found.Facilities.Select(f => f.Name));
        Assert.All(found.Facilities, f => Assert.Contains(ServiceCodes.Find(service)!.Name, f.Services));
    }

    [Fact]
    public async Task ServicesCombineWithEachOtherAndWithPlace()
    {
        var found = await SearchAsync("state=CO&city=Denver&service=methadone,spanish");

        Assert.Equal(["Mile High Recovery Center"], found.Facilities.Select(f => f.Name));
    }

    [Fact]
    public async Task WordsFindFacilitiesByNameOrCity()
    {
        Assert.Equal(["Golden Hope House"], (await SearchAsync("q=hope")).Facilities.Select(f => f.Name));
        Assert.Equal(["Pueblo Methadone Clinic"], (await SearchAsync("q=pueblo")).Facilities.Select(f => f.Name));
        Assert.Empty((await SearchAsync("q=100%25")).Facilities);
    }

    [Fact]
    public async Task AHiddenFacilityIsLeftOutOfSearchesAndPublicPages()
    {
        var admin = await _app.AdminAsync();
        var mileHigh = await _app.FacilityIdAsync("Mile High Recovery Center");

        var (response, html) = await admin.SubmitAsync("/admin/directory", $"/admin/directory?handler=Hide&id={mileHigh}",
            new Dictionary<string, string> { ["reason"] = "Closed, says the state licensing board" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Mile High Recovery Center (Denver, CO) hidden.", html);
        Assert.DoesNotContain("Mile High Recovery Center", (await SearchAsync("service=detox")).Facilities.Select(f => f.Name));
        Assert.DoesNotContain("Mile High Recovery Center", (await SearchAsync("near=80203&miles=10")).Facilities.Select(f => f.Name));
        Assert.DoesNotContain("Mile High Recovery Center", await _app.CreateBrowser().GetStringAsync("/treatment/co/denver"));
        Assert.Equal(HttpStatusCode.NotFound, (await _advisor.Browser.GetAsync($"/api/directory/facilities/{mileHigh}")).StatusCode);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "directory.hidden"));
        Assert.Equal("admin@test.example", audit.UserName);
        Assert.Equal($"facility {mileHigh}: reason: Closed, says the state licensing board", audit.Details);

        // Shown again, it is found again.
        await admin.SubmitAsync("/admin/directory", $"/admin/directory?handler=Show&id={mileHigh}", []);
        Assert.Contains("Mile High Recovery Center", (await SearchAsync("service=detox")).Facilities.Select(f => f.Name));
    }

    [Fact]
    public async Task APaidListingIsLabelledAndKeepsItsPlaceByDistance()
    {
        var before = await SearchAsync("near=80203&miles=30");
        var golden = await _app.FacilityIdAsync("Golden Hope House");
        var admin = await _app.AdminAsync();

        await admin.SubmitAsync("/admin/directory", $"/admin/directory?handler=Paid&id={golden}", new Dictionary<string, string> { ["paid"] = "true" });
        var after = await SearchAsync("near=80203&miles=30");

        Assert.Equal(before.Facilities.Select(f => f.Id), after.Facilities.Select(f => f.Id));
        Assert.Equal("Mile High Recovery Center", after.Facilities[0].Name);
        Assert.True(after.Facilities.Single(f => f.Id == golden).Paid);
        Assert.NotEqual(golden, after.Facilities[0].Id);
        Assert.Single(after.Facilities, f => f.Paid);
        var page = System.Net.WebUtility.HtmlDecode(await _app.CreateBrowser().GetStringAsync("/treatment/co/golden"));
        Assert.Contains("Paid listing", page);
    }
}
