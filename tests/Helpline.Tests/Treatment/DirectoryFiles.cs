using Helpline.Tests.Infrastructure;
using Helpline.Treatment;
using Microsoft.Extensions.DependencyInjection;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>The fixtures written for each format, the real SAMHSA rows, and importing them into a test app.</summary>
internal static class DirectoryFiles
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Treatment", "Fixtures", name);

    /// <summary>The 14,034 real facilities (tests/data, copied beside the tests at build).</summary>
    public static string RealRows
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "data", "samhsa-substance-use-facilities-2021.csv");
            Assert.True(File.Exists(path), $"The real SAMHSA rows are expected at {path} (copied from tests/data).");
            return path;
        }
    }

    public static async Task<ImportSummary> ImportAsync(this HelplineApp app, string path, string? asName = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await using var file = File.OpenRead(path);
        return await scope.ServiceProvider.GetRequiredService<FacilityImporter>().ImportAsync(file, asName ?? path);
    }

    /// <summary>The wide locator export as an Excel workbook, the same rows as the CSV fixture (made with MiniExcel).</summary>
    public static string WorkbookFromCsv(string csvPath, string folder)
    {
        var lines = File.ReadAllLines(csvPath);
        var header = lines[0].Split(',');
        var rows = new List<Dictionary<string, object>>();
        // The three good rows only: a workbook has no quoting to get wrong; its own malformed rows are tested apart.
        foreach (var line in lines.Skip(1).Take(3))
        {
            var fields = ParseCsvLine(line);
            rows.Add(header.Select((h, i) => (h, v: (object)(i < fields.Count ? fields[i] : ""))).ToDictionary(p => p.h, p => p.v));
        }
        rows.Add(header.ToDictionary(h => h, h => (object)(h switch { "name1" => "Workbook Bad Zip", "city" => "Denver", "state" => "CO", "zip" => "12", _ => "" })));
        var path = Path.Combine(folder, "locator-export.xlsx");
        MiniExcelLibs.MiniExcel.SaveAs(path, rows, overwriteFile: true);
        return path;
    }

    private static List<string> ParseCsvLine(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
                field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
