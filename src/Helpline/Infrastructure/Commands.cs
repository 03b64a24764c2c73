namespace Helpline.Infrastructure;

/// <summary>
/// Operator commands run with the app's own configuration instead of serving requests, e.g.
/// <c>dotnet run --project src/Helpline -- staff add EMAIL ROLE</c>. Each feature registers its own
/// from its <c>AddX</c> with <see cref="AddCommand"/>, so a new command needs no edit here.
/// </summary>
public static class Commands
{
    /// <summary>
    /// Registers <paramref name="run"/> as the command <paramref name="name"/> (matched whatever its case):
    /// it gets the app and the arguments after the name, and returns the process's exit code.
    /// </summary>
    public static IServiceCollection AddCommand(this IServiceCollection services, string name, Func<WebApplication, string[], Task<int>> run) =>
        services.AddSingleton(new OperatorCommand(name, run));

    /// <summary>Runs the command named by the first argument, if any; returns its exit code, or null to serve.</summary>
    public static async Task<int?> RunCommandAsync(this WebApplication app, string[] args)
    {
        var positional = args.TakeWhile(a => !a.StartsWith('-') && !a.Contains('=')).ToArray();
        if (positional.Length == 0)
            return null;
        var registered = app.Services.GetServices<OperatorCommand>().ToDictionary(c => c.Name, c => c.RunAsync, StringComparer.OrdinalIgnoreCase);
        if (!registered.TryGetValue(positional[0], out var command))
        {
            Console.Error.WriteLine($"Unknown command '{positional[0]}'. Commands: {string.Join(", ", registered.Keys)}.");
            return 2;
        }
        return await command(app, positional[1..]);
    }

    /// <summary>Checks every validated settings section now, before the database is touched.</summary>
    public static void ValidateSettings(this WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();

    private sealed record OperatorCommand(string Name, Func<WebApplication, string[], Task<int>> RunAsync);
}
