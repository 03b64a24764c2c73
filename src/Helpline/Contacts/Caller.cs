using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Contacts;

/// <summary>
/// A person who has reached the helpline. Phone number and name are encrypted at rest;
/// <see cref="PhoneHash"/> is a keyed hash (blind index) so a caller can be found by number
/// without the number itself being stored in the clear.
/// </summary>
public sealed class Caller
{
    public long Id { get; set; }

    /// <summary>Blind index of the E.164 number; null when the number was withheld.</summary>
    public string? PhoneHash { get; set; }

    /// <summary>E.164, encrypted at rest.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>First name or nickname, encrypted at rest.</summary>
    public string? Name { get; set; }

    /// <summary>Another number the person gave (E.164), encrypted at rest.</summary>
    public string? AlternatePhoneNumber { get; set; }

    /// <summary>IANA time zone taken from the number (or chosen on the form); quiet hours use it.</summary>
    public required string TimeZone { get; set; }

    public CallerLanguage Language { get; set; }

    public DateTime CreatedAt { get; set; }

    public List<Consent> Consents { get; set; } = [];
}

public enum CallerLanguage
{
    English = 1,
    Spanish = 2,
}

public static class Callers
{
    /// <summary>The caller with this number (found by its blind index), if there is one.</summary>
    public static Task<Caller?> FindCallerAsync(this HelplineDb db, string e164)
    {
        var hash = db.Protector.BlindIndex(e164);
        return db.Callers.SingleOrDefaultAsync(c => c.PhoneHash == hash);
    }

    /// <summary>
    /// The caller with this number, or a new one made by <paramref name="create"/> (given the number's
    /// blind index). Two requests for one new number at once make one caller: the unique index refuses
    /// the second (inside a transaction, EF rolls back to its savepoint), which then reads the first.
    /// </summary>
    public static async Task<Caller> FindOrCreateCallerAsync(this HelplineDb db, string e164, Func<string, Caller> create)
    {
        if (await db.FindCallerAsync(e164) is { } known)
            return known;
        var hash = db.Protector.BlindIndex(e164);
        var caller = create(hash);
        db.Callers.Add(caller);
        try
        {
            await db.SaveChangesAsync();
            return caller;
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation() && e.Entries.All(entry => entry.Entity is Caller))
        {
            db.Entry(caller).State = EntityState.Detached;
            return await db.Callers.SingleAsync(c => c.PhoneHash == hash);
        }
    }
}
