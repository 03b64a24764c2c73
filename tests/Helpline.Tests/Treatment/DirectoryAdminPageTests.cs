using System.Net;
using System.Net.Http.Headers;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>The admin page: uploads with a summary, bad files refused with a reason (never a 500), admins only.</summary>
public sealed class DirectoryAdminPageTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static async Task<(HttpResponseMessage Response, string Html)> UploadAsync(StaffSession admin, string fileName, byte[]? content)
    {
        var token = await admin.FormTokenAsync("/admin/directory");
        using var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
        if (content is not null)
        {
            var file = new ByteArrayContent(content);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "file", fileName);
        }
        var response = await admin.Browser.PostAsync("/admin/directory?handler=Import", form);
        return (response, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task AnAdminUploadsAFileAndSeesWhatWasImportedAndWhatWasRejectedAndWhy()
    {
        var admin = await _app.AdminAsync();

        var (response, html) = await UploadAsync(admin, "national-directory.csv", File.ReadAllBytes(DirectoryFiles.Fixture("national-directory.csv")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Imported national-directory.csv", html);
        Assert.Matches(@"Format: NationalDirectory\. 4 rows read in [\d.]+ s:\s*<strong>2 imported</strong>, 0 updated, 0 unchanged,\s*<strong>2 rejected</strong>", html);
        Assert.Contains("<tr><td>line 4</td><td>No facility name (name1).</td></tr>", html);
        Assert.Contains("<tr><td>line 5</td><td>No city.</td></tr>", html);
        Assert.Contains("Pueblo Methadone Clinic", html);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "directory.imported"));
        Assert.Equal("national-directory.csv (NationalDirectory): 2 imported, 0 updated, 0 unchanged, 2 rejected", audit.Details);

        // The same file again adds nothing.
        var (_, again) = await UploadAsync(admin, "national-directory.csv", File.ReadAllBytes(DirectoryFiles.Fixture("national-directory.csv")));
        Assert.Contains("<strong>0 imported</strong>, 0 updated, 2 unchanged", again);
    }

    [Theory]
    [InlineData("people.csv", "first,last,phone\nAda,Lovelace,555\n", "people.csv was not imported: This does not look like a SAMHSA facility file: the header row has no name1, city, state, zip columns.")]
    [InlineData("broken.json", "{\"rows\": [ {\"name1\": ", "broken.json was not imported: The JSON could not be read")]
    [InlineData("export.xlsx", "this is not a workbook", "export.xlsx was not imported: The file is named .xlsx but is not an Excel workbook.")]
    [InlineData("empty.csv", "", "Choose a file to import")]
    [InlineData("old.xls", "name1,city,state,zip\n", "old.xls was not imported: Old Excel files (.xls) are not supported")]
    public async Task ABadFileIsRefusedWithAReasonAndNothingChanges(string fileName, string content, string reason)
    {
        var admin = await _app.AdminAsync();

        var (response, html) = await UploadAsync(admin, fileName, System.Text.Encoding.UTF8.GetBytes(content));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<p role=\"alert\" class=\"error\" id=\"problem\">" + reason, html);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Facilities.CountAsync()));
    }

    [Fact]
    public async Task AWorkbookWithAZipInsideThatIsNoSpreadsheetIsRefused()
    {
        var admin = await _app.AdminAsync();
        using var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            archive.CreateEntry("hello.txt");

        var (response, html) = await UploadAsync(admin, "export.xlsx", zip.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("export.xlsx was not imported: The workbook could not be read", html);
    }

    [Fact]
    public async Task HidingNeedsAReason()
    {
        await _app.ImportAsync(DirectoryFiles.Fixture("plain.csv"));
        var admin = await _app.AdminAsync();
        var golden = await _app.FacilityIdAsync("Golden Hope House");

        var (response, html) = await admin.SubmitAsync("/admin/directory", $"/admin/directory?handler=Hide&id={golden}", new Dictionary<string, string> { ["reason"] = " " });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Say why the facility is hidden", html);
        Assert.False(await _app.WithDbAsync(db => db.Facilities.Where(f => f.Id == golden).Select(f => f.Hidden).SingleAsync()));
    }

    [Fact]
    public async Task TheImportPageIsForAdminsOnly()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");

        var page = await advisor.Browser.GetAsync("/admin/directory");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/access-denied", page.Headers.Location?.PathAndQuery ?? page.Headers.Location?.OriginalString);
        var script = new HttpRequestMessage(HttpMethod.Get, "/admin/directory");
        script.Headers.Accept.ParseAdd("application/json");
        Assert.Equal(HttpStatusCode.Forbidden, (await advisor.Browser.SendAsync(script)).StatusCode);

        // Nor can an advisor post a file to it.
        using var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(DirectoryFiles.Fixture("plain.csv"))), "file", "plain.csv" } };
        var posted = await advisor.Browser.PostAsync("/admin/directory?handler=Import", form);
        Assert.NotEqual(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Facilities.CountAsync()));

        var anonymous = await _app.CreateBrowser().GetAsync("/admin/directory");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/sign-in", anonymous.Headers.Location?.OriginalString);
    }
}
