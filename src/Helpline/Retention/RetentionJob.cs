using System.ComponentModel.DataAnnotations;
using Helpline.Audit;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Messages;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Retention;

/// <summary>Section "Retention".</summary>
public sealed class RetentionOptions
{
    /// <summary>Contacts older than this many days lose what identifies the caller.</summary>
    [Range(30, 3650)]
    public int Days { get; set; } = 365;

    /// <summary>Contacts anonymized per transaction.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;
}

/// <summary>What one run did, as written to the audit trail.</summary>
public sealed record RetentionRun(DateTime Before, int Contacts, int CallersForgotten, int RecordingsDeleted, int RecordingsNotDeleted, int TextsDeleted = 0, int TextsNotDeleted = 0)
{
    public string Details => $"contacts created before {Before:yyyy-MM-dd HH:mm} UTC: {Contacts} anonymized, {CallersForgotten} caller(s) forgotten, " +
        $"{RecordingsDeleted} recording(s) deleted at Twilio, {RecordingsNotDeleted} recording(s) Twilio could not delete, " +
        $"{TextsDeleted} text(s) deleted at Twilio, {TextsNotDeleted} text(s) Twilio could not delete (contacts with something Twilio could not delete are left for the next run)";
}

/// <summary>
/// Anonymizes contacts older than <see cref="RetentionOptions.Days"/>: what could identify the caller
/// goes (notes, the recording and the texts, here and at Twilio with their pictures, Twilio's call ids, which Twilio could map back to a
/// number, and the link to the caller), what the reports count stays (times, channel, status,
/// disposition, region, waits, advisor, language). A caller with no newer contact and no callback
/// still to make is forgotten: number, name and blind index emptied, consents deleted. The row stays,
/// because old callbacks (counted by the reports) point to it.
/// Texts that no conversation keeps (<see cref="TextAtTwilio"/>) are deleted at Twilio a day after they were sent.
/// Runs in batches; safe to run twice or to stop halfway; each run leaves one audit row.
/// Rows keep their UpdatedAt: nothing the reports count changed, so their kept counts stay valid.
/// </summary>
public sealed class RetentionJob(HelplineDb db, HelplineTime time, ITelephonyGateway gateway, IOptions<RetentionOptions> options, ILogger<RetentionJob> logger)
{
    public const string Id = "retention";

    private static readonly CallbackStatus[] Pending = [CallbackStatus.Scheduled, CallbackStatus.Due, CallbackStatus.InProgress];

    public async Task<RetentionRun> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.UtcNow;
        var before = now.AddDays(-options.Value.Days);
        int contacts = 0, forgotten = 0;
        var twilio = new TwilioDeletions();
        var after = 0L;
        while (true)
        {
            var batch = await NextBatchAsync(after, before, cancellationToken);
            if (batch.Count == 0)
                break;
            after = batch[^1].Id;

            var ready = await DeleteAtTwilioAsync(batch, twilio, cancellationToken);
            var forget = await CallersToForgetAsync(ready, before, cancellationToken);
            forgotten += await AnonymizeAsync(ready, forget, now, cancellationToken);
            contacts += ready.Count;
        }
        await DeleteTextsNobodyKeepsAsync(now, twilio, cancellationToken);

        var run = new RetentionRun(before, contacts, forgotten, twilio.Recordings, twilio.RecordingsNot, twilio.Texts, twilio.TextsNot);
        db.AuditEntries.Add(new AuditEntry { At = now, UserName = "retention job", Action = "retention.anonymized", Details = run.Details });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Retention: {Contacts} contact(s) anonymized, {Callers} caller(s) forgotten, {Deleted} recording(s) and {Texts} text(s) deleted at Twilio, {NotDeleted} not deleted",
            contacts, forgotten, twilio.Recordings, twilio.Texts, twilio.RecordingsNot + twilio.TextsNot);
        return run;
    }

    /// <summary>The next contacts after id <paramref name="after"/> old enough to anonymize, none with a callback still to make.</summary>
    private Task<List<Contact>> NextBatchAsync(long after, DateTime before, CancellationToken cancellationToken) =>
        db.Contacts
            .Where(c => c.Id > after && c.AnonymizedAt == null && c.CreatedAt < before)
            .Where(c => !db.Callbacks.Any(b => b.ContactId == c.Id && Pending.Contains(b.Status)))
            .OrderBy(c => c.Id).Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);

    /// <summary>What one run deleted at Twilio, and what Twilio could not delete.</summary>
    private sealed class TwilioDeletions
    {
        public int Recordings, RecordingsNot, Texts, TextsNot;
    }

    /// <summary>
    /// The recording and the texts (with their pictures) go at Twilio first: if Twilio cannot delete
    /// one now, the contact keeps its references (and everything else) until a later run can.
    /// Returns the contacts ready to anonymize.
    /// </summary>
    private async Task<List<Contact>> DeleteAtTwilioAsync(List<Contact> batch, TwilioDeletions counts, CancellationToken cancellationToken)
    {
        var ids = batch.Select(c => c.Id).ToList();
        var texts = (await db.ChatMessages.Where(m => ids.Contains(m.ContactId) && m.ProviderSid != null)
                .Select(m => new { m.ContactId, Sid = m.ProviderSid! }).ToListAsync(cancellationToken))
            .ToLookup(m => m.ContactId, m => m.Sid);
        var ready = new List<Contact>();
        foreach (var contact in batch)
        {
            var kept = true;
            if (RecordingSidOf(contact) is { } recordingSid)
            {
                var deleted = await DeletedAsync(() => gateway.DeleteRecordingAsync(recordingSid, cancellationToken));
                counts.Recordings += deleted ? 1 : 0;
                counts.RecordingsNot += deleted ? 0 : 1;
                kept &= deleted;
            }
            foreach (var sid in texts[contact.Id])
            {
                var deleted = await DeletedAsync(() => gateway.DeleteMessageAsync(sid, cancellationToken));
                counts.Texts += deleted ? 1 : 0;
                counts.TextsNot += deleted ? 0 : 1;
                kept &= deleted;
            }
            if (kept)
                ready.Add(contact);
        }
        return ready;
    }

    /// <summary>
    /// The texts no conversation keeps, a day after the app learnt of them: deleted at Twilio, then
    /// forgotten here. One Twilio cannot delete now is tried again by the next run.
    /// </summary>
    private async Task DeleteTextsNobodyKeepsAsync(DateTime now, TwilioDeletions counts, CancellationToken cancellationToken)
    {
        var before = now - TextAtTwilio.KeptAtTwilioFor;
        var after = "";
        while (true)
        {
            var sids = await db.TextsAtTwilio.Where(t => t.At < before && string.Compare(t.Sid, after) > 0)
                .OrderBy(t => t.Sid).Select(t => t.Sid).Take(options.Value.BatchSize).ToListAsync(cancellationToken);
            if (sids.Count == 0)
                break;
            after = sids[^1];
            // A conversation that came to keep one after all (the same webhook on two nodes at once) deletes it with its contact.
            var done = await db.ChatMessages.Where(m => m.ProviderSid != null && sids.Contains(m.ProviderSid)).Select(m => m.ProviderSid!).ToListAsync(cancellationToken);
            foreach (var sid in sids.Except(done).ToList())
            {
                var deleted = await DeletedAsync(() => gateway.DeleteMessageAsync(sid, cancellationToken));
                counts.Texts += deleted ? 1 : 0;
                counts.TextsNot += deleted ? 0 : 1;
                if (deleted)
                    done.Add(sid);
            }
            await db.TextsAtTwilio.Where(t => done.Contains(t.Sid)).ExecuteDeleteAsync(cancellationToken);
        }
    }

    private static async Task<bool> DeletedAsync(Func<Task> deletion)
    {
        try
        {
            await deletion();
            return true;
        }
        catch (TelephonyException)
        {
            return false;
        }
    }

    /// <summary>The contacts' callers with no newer contact and no callback still to make.</summary>
    private async Task<List<long>> CallersToForgetAsync(List<Contact> ready, DateTime before, CancellationToken cancellationToken)
    {
        var callerIds = ready.Select(c => c.CallerId).OfType<long>().Distinct().ToList();
        var stillNeeded = (await db.Contacts.Where(c => c.CallerId != null && callerIds.Contains(c.CallerId.Value) && c.CreatedAt >= before)
                .Select(c => c.CallerId!.Value).ToListAsync(cancellationToken))
            .Concat(await db.Callbacks.Where(b => callerIds.Contains(b.CallerId) && Pending.Contains(b.Status)).Select(b => b.CallerId).ToListAsync(cancellationToken))
            .ToHashSet();
        return callerIds.Where(id => !stillNeeded.Contains(id)).ToList();
    }

    /// <summary>Anonymizes the contacts and forgets the callers, in one transaction; returns how many callers were forgotten.</summary>
    private async Task<int> AnonymizeAsync(List<Contact> ready, List<long> forget, DateTime now, CancellationToken cancellationToken)
    {
        var ids = ready.Select(c => c.Id).ToList();
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        foreach (var contact in ready)
            Strip(contact, forget, now);
        await db.SaveChangesAsync(cancellationToken);
        await db.Referrals.Where(r => ids.Contains(r.ContactId) && r.TransferCallSid != null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.TransferCallSid, (string?)null), cancellationToken);
        var forgotten = await db.Callers.Where(c => forget.Contains(c.Id) && (c.PhoneHash != null || c.PhoneNumber != null || c.Name != null || c.AlternatePhoneNumber != null))
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.PhoneHash, (string?)null)
                .SetProperty(c => c.PhoneNumber, (string?)null)
                .SetProperty(c => c.Name, (string?)null)
                .SetProperty(c => c.AlternatePhoneNumber, (string?)null), cancellationToken);
        await db.Consents.Where(c => forget.Contains(c.CallerId)).ExecuteDeleteAsync(cancellationToken);
        // A chat's words are the person's own: the messages go, with the name they gave and the hash of their address.
        await db.ChatMessages.Where(m => ids.Contains(m.ContactId)).ExecuteDeleteAsync(cancellationToken);
        await db.Conversations.Where(c => ids.Contains(c.ContactId))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Nickname, (string?)null).SetProperty(c => c.AddressHash, ""), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return forgotten;
    }

    /// <summary>Empties what could identify the caller; the link to the caller too when the caller is forgotten.</summary>
    private static void Strip(Contact contact, List<long> forget, DateTime now)
    {
        contact.Notes = null;
        contact.WrapUpDraft = null;
        contact.RecordingUrl = null;
        contact.RecordingSid = null;
        contact.CallSid = null;
        contact.AdvisorCallSid = null;
        contact.CalleeCallSid = null;
        contact.TransferCallSid = null;
        if (contact.CallerId is { } callerId && forget.Contains(callerId))
            contact.CallerId = null;
        contact.AnonymizedAt = now;
    }

    /// <summary>The recording's sid, from the column or, for an older row, the end of its URL (…/Recordings/RE…).</summary>
    private static string? RecordingSidOf(Contact contact) =>
        contact.RecordingSid is { Length: > 0 } sid ? sid
        : contact.RecordingUrl is { } url && url.LastIndexOf("/Recordings/", StringComparison.Ordinal) is var at and >= 0 ? url[(at + "/Recordings/".Length)..].Split('.', '/', '?')[0]
        : null;
}
