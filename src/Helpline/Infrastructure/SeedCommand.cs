using System.Globalization;
using Helpline.Callbacks;
using Helpline.Reports;

namespace Helpline.Infrastructure;

/// <summary>
/// <c>seed callbacks …</c> and <c>seed contacts …</c>: made-up data for trying the app at size.
/// Development only (or HELPLINE_SEED_ALLOWED=true, for a throwaway database): these are not real people.
/// </summary>
public static class SeedCommand
{
    private const string ContactsUsage = "seed contacts COUNT DAYS   (up to 5,000,000 made-up contacts over the last DAYS days, up to 731)";

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (!app.Environment.IsDevelopment() && Environment.GetEnvironmentVariable("HELPLINE_SEED_ALLOWED") != "true")
        {
            Console.Error.WriteLine("seed writes made-up callers; it runs in Development only (or with HELPLINE_SEED_ALLOWED=true on a throwaway database).");
            return 2;
        }
        switch (args)
        {
            case ["callbacks", .. var rest]:
                return await SeedCallbacksCommand.RunAsync(app, rest);
            case ["contacts", var countText, var daysText]
                when int.TryParse(countText, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 5_000_000
                    && int.TryParse(daysText, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= 731:
                await using (var scope = app.Services.CreateAsyncScope())
                {
                    var started = DateTime.UtcNow;
                    var progress = new Progress<int>(n => Console.Error.Write($"\r{n:N0} of {count:N0} contacts"));
                    var seeded = await SeedContacts.SeedAsync(scope.ServiceProvider, count, days, progress);
                    Console.Error.WriteLine();
                    Console.WriteLine($"{seeded.Contacts:N0} contacts ({seeded.Callbacks:N0} callbacks, {seeded.PresenceSpans:N0} presence spans) from {seeded.From:yyyy-MM-dd} to {seeded.To:yyyy-MM-dd} in {(DateTime.UtcNow - started).TotalSeconds:F0} s.");
                }
                return 0;
            default:
                Console.Error.WriteLine("Usage: " + SeedCallbacksCommand.Usage);
                Console.Error.WriteLine("       " + ContactsUsage);
                return 2;
        }
    }
}
