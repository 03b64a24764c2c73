using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Contacts;

/// <summary>
/// A consent with its evidence: which text (version) the person agreed to, how, and when.
/// Consents are appended; a withdrawal is a new row with <see cref="Granted"/> false.
/// </summary>
public sealed class Consent
{
    public long Id { get; set; }

    public long CallerId { get; set; }
    public Caller? Caller { get; set; }

    /// <summary>The contact during which the consent was given, if any.</summary>
    public long? ContactId { get; set; }

    public ConsentKind Kind { get; set; }
    public bool Granted { get; set; }

    /// <summary>Version of the text the person saw or heard when agreeing.</summary>
    public required string TextVersion { get; set; }

    public ConsentSource Source { get; set; }
    public DateTime RecordedAt { get; set; }

    /// <summary>Consent to be called back, given during a contact, with the version of the words agreed to.</summary>
    public static Consent ToCallBack(long callerId, long contactId, string textVersion, ConsentSource source, DateTime at) => new()
    {
        CallerId = callerId,
        ContactId = contactId,
        Kind = ConsentKind.CallBack,
        Granted = true,
        TextVersion = textVersion,
        Source = source,
        RecordedAt = at,
    };
}

public static class Consents
{
    /// <summary>The caller's latest answer on <paramref name="kind"/> is yes (consents are appended; a withdrawal is a newer "no").</summary>
    public static async Task<bool> IsGrantedAsync(this HelplineDb db, long callerId, ConsentKind kind, CancellationToken cancellationToken = default) =>
        await db.Consents.Where(c => c.CallerId == callerId && c.Kind == kind)
            .OrderByDescending(c => c.RecordedAt).ThenByDescending(c => c.Id)
            .Select(c => (bool?)c.Granted)
            .FirstOrDefaultAsync(cancellationToken) == true;

    /// <summary>Of <paramref name="callerIds"/>, those whose latest answer on <paramref name="kind"/> is yes: one query for many callers.</summary>
    public static async Task<HashSet<long>> GrantedAmongAsync(this HelplineDb db, IReadOnlyCollection<long> callerIds, ConsentKind kind, CancellationToken cancellationToken = default) =>
        (await db.Consents.AsNoTracking()
            .Where(c => callerIds.Contains(c.CallerId) && c.Kind == kind)
            .Select(c => new { c.CallerId, c.RecordedAt, c.Id, c.Granted })
            .ToListAsync(cancellationToken))
        .GroupBy(c => c.CallerId)
        .Where(answers => answers.OrderByDescending(c => c.RecordedAt).ThenByDescending(c => c.Id).First().Granted)
        .Select(answers => answers.Key)
        .ToHashSet();
}

public enum ConsentKind
{
    /// <summary>May we call this number back.</summary>
    CallBack = 1,
    LeaveVoicemail = 2,
    Text = 3,
    SafeToCall = 4,
    NeutralCallerId = 5,
    NeutralVoicemail = 6,
}

public enum ConsentSource
{
    /// <summary>Given on the phone by leaving a voicemail after the callback prompt.</summary>
    Voicemail = 1,
    WebForm = 2,
    /// <summary>Given on the phone by pressing a key in the menu or while waiting.</summary>
    PhoneKeypad = 3,
    /// <summary>Recorded by an advisor on the caller's spoken agreement.</summary>
    Advisor = 4,
    /// <summary>A text message from the caller, e.g. STOP.</summary>
    TextMessage = 5,
}
