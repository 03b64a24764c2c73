using Helpline.Tests.Infrastructure;
using Helpline.Treatment;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>Each public format, as downloaded, with malformed rows reported and never fatal.</summary>
public sealed class DirectoryImportTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private Task<List<Facility>> FacilitiesAsync() =>
        _app.WithDbAsync(db => db.Facilities.AsNoTracking().Include(f => f.Services).OrderBy(f => f.Name).ToListAsync());

    [Fact]
    public async Task LocatorJsonImportsItsFacilitiesWithServiceCodesAndReportsEachBadRow()
    {
        var summary = await _app.ImportAsync(DirectoryFiles.Fixture("locator.json"));

        Assert.Equal(FacilityFileFormat.LocatorJson, summary.Format);
        Assert.Equal((6, 3, 0, 0, 3), (summary.Read, summary.Imported, summary.Updated, summary.Unchanged, summary.Rejected));
        Assert.Equal(
            [new RejectedRow("row 4", "No facility name (name1)."), new RejectedRow("row 5", "The latitude 'not-a-number' is not a latitude."), new RejectedRow("row 6", "The row is not an object.")],
            summary.Rejections);
        var mileHigh = (await FacilitiesAsync()).Single(f => f.Frid == "FRID-DEN-1");
        Assert.Equal("frid:FRID-DEN-1", mileHigh.Key);
        Assert.Equal("303-555-0101", mileHigh.IntakePhone);
        Assert.Equal(["BU", "DT", "MD", "MU", "OTP", "SA", "SP", "SS"], mileHigh.Services.Select(s => s.Code).Order());
    }

    [Fact]
    public async Task LocatorSpreadsheetCsvTakesEveryNonEmptyServiceColumnAndRestoresZipLeadingZeros()
    {
        var summary = await _app.ImportAsync(DirectoryFiles.Fixture("locator-export.csv"));

        Assert.Equal(FacilityFileFormat.LocatorSpreadsheet, summary.Format);
        Assert.Equal((7, 3, 4), (summary.Read, summary.Imported, summary.Rejected));
        Assert.Equal(
            [
                new RejectedRow("line 5", "The state 'Colorado' is not a two-letter code."),
                new RejectedRow("line 6", "The ZIP code 'ABCDE' is not a five-digit ZIP code."),
                new RejectedRow("line 7", "29 fields where the header has 25."),
                new RejectedRow("line 8", "A quoted field is never closed."),
            ],
            summary.Rejections);
        var facilities = await FacilitiesAsync();
        Assert.Equal("02108", facilities.Single(f => f.City == "Boston").Zip);
        var aurora = facilities.Single(f => f.City == "Aurora");
        Assert.Equal("12 Colfax Avenue, Suite 3", aurora.Street1);
        Assert.Equal(["DT", "MD", "RES", "SA", "SP"], aurora.Services.Select(s => s.Code).Order());
    }

    [Fact]
    public async Task LocatorWorkbookGivesTheSameFacilitiesAsItsCsv()
    {
        var workbook = DirectoryFiles.WorkbookFromCsv(DirectoryFiles.Fixture("locator-export.csv"), Path.GetDirectoryName(_app.DatabasePath)!);

        var summary = await _app.ImportAsync(workbook);

        Assert.Equal(FacilityFileFormat.LocatorWorkbook, summary.Format);
        Assert.Equal((3, 1), (summary.Imported, summary.Rejected));
        Assert.Equal("line 5", Assert.Single(summary.Rejections).Where);
        var aurora = (await FacilitiesAsync()).Single(f => f.City == "Aurora");
        Assert.Equal(["DT", "MD", "RES", "SA", "SP"], aurora.Services.Select(s => s.Code).Order());
        // The same rows as CSV afterwards are the same facilities: nothing new.
        var again = await _app.ImportAsync(DirectoryFiles.Fixture("locator-export.csv"));
        Assert.Equal(0, again.Imported);
    }

    [Fact]
    public async Task NationalDirectoryReadsServiceCodeInfoGroups()
    {
        var summary = await _app.ImportAsync(DirectoryFiles.Fixture("national-directory.csv"));

        Assert.Equal(FacilityFileFormat.NationalDirectory, summary.Format);
        Assert.Equal((2, 2), (summary.Imported, summary.Rejected));
        Assert.Equal([new RejectedRow("line 4", "No facility name (name1)."), new RejectedRow("line 5", "No city.")], summary.Rejections);
        var springs = (await FacilitiesAsync()).Single(f => f.City == "Colorado Springs");
        Assert.Equal(["BU", "DT", "MD", "MU", "RES", "SA", "SP", "SS"], springs.Services.Select(s => s.Code).Order());
        Assert.Null(springs.Latitude);
    }

    [Fact]
    public async Task PlainCsvImportsPlacesWithoutServices()
    {
        var summary = await _app.ImportAsync(DirectoryFiles.Fixture("plain.csv"));

        Assert.Equal(FacilityFileFormat.PlainCsv, summary.Format);
        Assert.Equal((2, 1), (summary.Imported, summary.Rejected));
        Assert.Equal(new RejectedRow("line 4", "The latitude 'north' is not a latitude."), Assert.Single(summary.Rejections));
        Assert.All(await FacilitiesAsync(), f => Assert.Empty(f.Services));
    }

    [Fact]
    public async Task ImportingTheSameFileTwiceAddsNothingAndAChangedRowIsUpdated()
    {
        await _app.ImportAsync(DirectoryFiles.Fixture("locator.json"));
        var second = await _app.ImportAsync(DirectoryFiles.Fixture("locator.json"));
        Assert.Equal((0, 0, 3), (second.Imported, second.Updated, second.Unchanged));

        var changed = Path.Combine(Path.GetDirectoryName(_app.DatabasePath)!, "locator-changed.json");
        File.WriteAllText(changed, File.ReadAllText(DirectoryFiles.Fixture("locator.json")).Replace("303-555-0101", "303-555-0199"));
        var third = await _app.ImportAsync(changed);

        Assert.Equal((0, 1, 2), (third.Imported, third.Updated, third.Unchanged));
        var facilities = await FacilitiesAsync();
        Assert.Equal(3, facilities.Count);
        Assert.Equal("303-555-0199", facilities.Single(f => f.Frid == "FRID-DEN-1").IntakePhone);
        Assert.Equal(8, facilities.Single(f => f.Frid == "FRID-DEN-1").Services.Count);
    }

    [Fact]
    public async Task ALargeLocatorJsonIsReadRowByRowHoweverItArrives()
    {
        // 2,000 rows (one of them over 100 kB), the envelope's other fields before and after the rows,
        // arriving a few hundred bytes at a time.
        var rows = Enumerable.Range(1, 2000).Select(i => new Dictionary<string, object>
        {
            ["frid"] = $"FRID-{i}", ["name1"] = $"Facility {i}", ["street1"] = $"{i} Main Street", ["city"] = "Denver", ["state"] = "CO",
            ["zip"] = "80203", ["latitude"] = "39.73", ["longitude"] = "-104.98",
            ["services"] = new[] { new { f1 = "Service Setting", f2 = "SET", f3 = i == 1000 ? string.Join("; ", Enumerable.Repeat("Outpatient", 10_000)) : "Outpatient" } },
        });
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { page = 1, pageSize = 2000, rows, totalPages = 1, recordCount = 2000 });
        Assert.True(json.Length > 300_000);

        await using var scope = _app.Services.CreateAsyncScope();
        var summary = await scope.ServiceProvider.GetRequiredService<FacilityImporter>().ImportAsync(new TrickleStream(json, 333), "big.json");

        Assert.Equal((FacilityFileFormat.LocatorJson, 2000, 2000, 0), (summary.Format, summary.Read, summary.Imported, summary.Rejected));
        Assert.Equal(2000, await _app.WithDbAsync(db => db.FacilityServices.CountAsync(s => s.Code == "OP")));
    }

    [Fact]
    public async Task ALocatorJsonCutShortIsRefusedWithTheReason()
    {
        var json = File.ReadAllText(DirectoryFiles.Fixture("locator.json"));
        var cut = Path.Combine(Path.GetDirectoryName(_app.DatabasePath)!, "cut.json");
        File.WriteAllText(cut, json[..json.IndexOf("\"Boulder Outpatient Services\"", StringComparison.Ordinal)]);

        var refused = await Assert.ThrowsAsync<FacilityFileException>(() => _app.ImportAsync(cut));

        Assert.Equal("The JSON could not be read: it is not valid JSON, or it ends before it is complete.", refused.Message);
    }

    /// <summary>A file that arrives in small pieces, as an upload does.</summary>
    private sealed class TrickleStream(byte[] content, int piece) : MemoryStream(content)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, piece));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, piece)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, piece), cancellationToken);
    }

    [Fact]
    public async Task AFileThatIsNoFacilityListIsRefusedWithTheReason()
    {
        var refused = await Assert.ThrowsAsync<FacilityFileException>(() => _app.ImportAsync(DirectoryFiles.Fixture("not-a-directory.csv")));

        Assert.Equal("This does not look like a SAMHSA facility file: the header row has no name1, city, state, zip columns.", refused.Message);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Facilities.CountAsync()));
    }
}
