namespace Helpline.Infrastructure;

/// <summary>
/// Operator commands run with the app's own configuration instead of serving requests, e.g.
/// <c>dotnet run --project src/Helpline -- staff add EMAIL ROLE</c>. Each feature registers its own.
/// </summary>
public static class Commands
{
    private static readonly Dictionary<string, Func<WebApplication, string[], Task<int>>> Registered = new(StringComparer.OrdinalIgnoreCase)
    {
        ["staff"] = Accounts.StaffCommand.RunAsync,
        ["seed"] = SeedCommand.RunAsync,
        ["import-facilities"] = TreatmentDirectory.ImportFacilitiesCommand.RunAsync,
        ["keys"] = Data.Protection.KeysCommand.RunAsync,
        ["retention"] = Retention.RetentionExtensions.RunCommandAsync,
    };

    /// <summary>Runs the command named by the first argument, if any; returns its exit code, or null to serve.</summary>
    public static async Task<int?> RunCommandAsync(this WebApplication app, string[] args)
    {
        var positional = args.TakeWhile(a => !a.StartsWith('-') && !a.Contains('=')).ToArray();
        if (positional.Length == 0)
            return null;
        if (!Registered.TryGetValue(positional[0], out var command))
        {
            Console.Error.WriteLine($"Unknown command '{positional[0]}'. Commands: {string.Join(", ", Registered.Keys)}.");
            return 2;
        }
        return await command(app, positional[1..]);
    }

    /// <summary>Checks every validated settings section now, before the database is touched.</summary>
    public static void ValidateSettings(this WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
}
