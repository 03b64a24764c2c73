namespace Helpline.Treatment;

/// <summary>
/// <c>import-facilities FILE</c>: imports a SAMHSA facility file (locator JSON, the locator's CSV or
/// XLSX export, the National Directory, or a plain CSV) with progress and a summary.
/// </summary>
public static class ImportFacilitiesCommand
{
    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("Usage: import-facilities FILE   (locator JSON, the locator's CSV or XLSX export, the National Directory CSV, or a plain CSV)");
            return 2;
        }
        var path = Resolve(args[0]);
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"No such file: {path}");
            return 2;
        }
        await using var scope = app.Services.CreateAsyncScope();
        var importer = scope.ServiceProvider.GetRequiredService<FacilityImporter>();
        await using var file = File.OpenRead(path);
        ImportSummary summary;
        try
        {
            summary = await importer.ImportAsync(file, path, read => Console.WriteLine($"  {read:N0} rows read…"));
        }
        catch (FacilityFileException e)
        {
            Console.Error.WriteLine($"Not imported: {e.Message}");
            return 1;
        }
        Print(summary, Console.Out);
        return 0;
    }

    /// <summary>
    /// A relative path is taken from the shell's directory: <c>dotnet run</c> starts the app in the
    /// project's folder, not where the command was typed.
    /// </summary>
    private static string Resolve(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path))
            return Path.GetFullPath(path);
        var shell = Environment.GetEnvironmentVariable("PWD");
        return string.IsNullOrEmpty(shell) ? Path.GetFullPath(path) : Path.GetFullPath(path, shell);
    }

    public static void Print(ImportSummary s, TextWriter output)
    {
        output.WriteLine($"{s.File} ({s.Format}): {s.Read:N0} rows read in {s.Took.TotalSeconds:0.0} s");
        output.WriteLine($"  imported {s.Imported:N0}, updated {s.Updated:N0}, unchanged {s.Unchanged:N0}, rejected {s.Rejected:N0}");
        foreach (var rejected in s.Rejections)
            output.WriteLine($"  rejected {rejected.Where}: {rejected.Reason}");
        if (s.Rejected > s.Rejections.Count)
            output.WriteLine($"  … and {s.Rejected - s.Rejections.Count:N0} more rejected rows");
    }
}
