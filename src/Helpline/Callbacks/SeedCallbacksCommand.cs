using System.Globalization;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.Extensions.Options;

namespace Helpline.Callbacks;

/// <summary>
/// <c>seed callbacks COUNT SECONDS [START]</c>: saves COUNT synthetic web-form callbacks, due one after
/// another over SECONDS, the first START seconds from now (default 15), for trying the job system
/// out (the reliability check kills the app while they fire). Each is saved as the form saves one:
/// caller, contact, consents with their evidence, callback; the dispatcher gives each a job when the
/// app serves. Numbers are in the fictional 555-01xx range; callers' time zones are chosen where it
/// is daytime, so quiet hours never hold them back.
/// </summary>
public static class SeedCallbacksCommand
{
    private static readonly string[] AreaCodes =
    [
        "212", "213", "312", "415", "503", "602", "617", "646", "702", "713", "786", "808", "907", "971", "202", "206",
        "303", "305", "404", "412", "469", "512", "614", "615", "651", "704", "720", "801", "816", "919",
    ];

    /// <summary>Each area code has 100 fictional numbers (555-0100 to 555-0199).</summary>
    public const int MaxCount = 3000;

    private static readonly string[] Zones =
    [
        "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
        "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    ];

    public const string Usage = "seed callbacks COUNT SECONDS [START]   (1–3,000 callbacks due over SECONDS, the first START seconds from now, default 15)";

    /// <summary>Arguments after "seed callbacks".</summary>
    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (args is not [var countText, var overText, ..]
            || !int.TryParse(countText, CultureInfo.InvariantCulture, out var count) || count is < 1 or > MaxCount
            || !int.TryParse(overText, CultureInfo.InvariantCulture, out var over) || over is < 0 or > 3600
            || !TryStart(args, out var startIn))
        {
            Console.Error.WriteLine("Usage: " + Usage);
            return 2;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var seeded = await SeedAsync(scope.ServiceProvider, count, TimeSpan.FromSeconds(over), TimeSpan.FromSeconds(startIn));
        if (seeded.Problem is { } problem)
        {
            Console.Error.WriteLine(problem);
            return 1;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} callbacks due from {seeded.First:o} to {seeded.Last:o} (callers' time zone {seeded.Zone})."));
        return 0;
    }

    public sealed record Seeded(DateTime First, DateTime Last, string? Zone, string? Problem = null);

    /// <summary>Saves the callbacks (see the class); the dispatcher gives them jobs when it next looks (or is woken).</summary>
    public static async Task<Seeded> SeedAsync(IServiceProvider services, int count, TimeSpan over, TimeSpan startIn)
    {
        var db = services.GetRequiredService<HelplineDb>();
        var time = services.GetRequiredService<HelplineTime>();
        var disclosure = services.GetRequiredService<IOptions<Disclosure.DisclosureOptions>>().Value;
        var now = time.UtcNow;
        var first = now + startIn;
        var last = first + over;
        // A zone where the whole run falls inside 9:00–20:00, so quiet hours never move a callback.
        var zone = Zones.FirstOrDefault(z => DaytimeThroughout(z, first, last));
        if (zone is null)
            return new Seeded(first, last, null, "No listed time zone has daytime for the whole run; use fewer seconds.");
        var stamp = time.Stamp(now);
        var taken = db.Callers.Select(c => c.PhoneHash).ToHashSet();
        var numbers = AreaCodes.SelectMany(area => Enumerable.Range(100, 100).Select(n => $"+1{area}5550{n:D3}"))
            .Where(n => !taken.Contains(db.Protector.BlindIndex(n))).Take(count).ToList();
        if (numbers.Count < count)
            return new Seeded(first, last, zone, $"Only {numbers.Count} fictional numbers are free in this database.");

        for (var i = 0; i < count; i++)
        {
            var due = count == 1 ? first : first.AddTicks((last - first).Ticks / (count - 1) * i);
            var caller = new Caller { PhoneHash = db.Protector.BlindIndex(numbers[i]), PhoneNumber = numbers[i], TimeZone = zone, CreatedAt = now, Language = CallerLanguage.English };
            var contact = new Contact
            {
                Caller = caller, Channel = ContactChannel.WebForm, Status = ContactStatus.AwaitingCallback, For = ContactFor.Self,
                Language = CallerLanguage.English, DisclosureVersion = disclosure.Version,
                CreatedAt = now, UpdatedAt = now, LocalDate = stamp.Date, LocalHour = stamp.Hour, LocalDayOfWeek = stamp.DayOfWeek,
            };
            db.Consents.Add(new Consent { Caller = caller, Kind = ConsentKind.CallBack, Granted = true, TextVersion = "seed", Source = ConsentSource.WebForm, RecordedAt = now });
            db.Callbacks.Add(new Callback
            {
                Contact = contact, Caller = caller, Status = CallbackStatus.Scheduled, DueAt = due, TimeZone = zone,
                WindowStartLocal = CallbackWindow.Earliest, WindowEndLocal = CallbackWindow.Latest, CreatedAt = now, UpdatedAt = now,
            });
            if ((i + 1) % 100 == 0 || i == count - 1)
            {
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        }
        return new Seeded(first, last, zone);
    }

    private static bool TryStart(string[] args, out int seconds)
    {
        seconds = 15;
        return args.Length < 3 || (int.TryParse(args[2], CultureInfo.InvariantCulture, out seconds) && seconds is >= 0 and <= 3600);
    }

    private static bool DaytimeThroughout(string zoneId, DateTime fromUtc, DateTime untilUtc)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var from = TimeZoneInfo.ConvertTimeFromUtc(fromUtc, zone);
        var until = TimeZoneInfo.ConvertTimeFromUtc(untilUtc, zone);
        return from.Date == until.Date && from.Hour >= 9 && until.Hour < 20;
    }
}
