using Helpline.Contacts;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Calls;

/// <summary>
/// An inbound call becomes a contact in the menu: one contact per CallSid, however often and however
/// concurrently Twilio retries (the unique index on CallSid settles it, and the loser of a race reads
/// the winner's row). The caller (found by the blind index of their number, or created) and the
/// contact are written in one transaction. A contact in the menu is not in the queue yet, so nothing
/// is broadcast until it is.
/// </summary>
/// <remarks>
/// On SQLite the write goes to <see cref="InboundCallWriter"/>, which commits the calls that arrive
/// together in one transaction; it also checks the blocked list for a contact it creates. There the
/// CallSid is not looked up first: the unique index answers a retry.
/// </remarks>
internal static class PhoneIntake
{
    /// <summary>The call's contact, and whether its number was checked against the blocked list on the way.</summary>
    public static async Task<(Contact Contact, bool BlockChecked)> FindOrCreateContactAsync(VoiceApi.Voice v, VoiceWebhook call)
    {
        var now = v.Time.UtcNow;
        var number = CallerNumbers.CallableE164(call.From);
        var stamp = v.Time.Stamp(now);
        var disclosureVersion = v.Disclosure.Value.Version;
        Contact NewContact() => new()
        {
            CallerIdWithheld = number is null,
            Channel = ContactChannel.Phone,
            Status = ContactStatus.InMenu,
            Language = CallerLanguage.English,
            Region = call.FromState,
            CallSid = call.CallSid,
            DisclosureVersion = disclosureVersion,
            CreatedAt = now,
            UpdatedAt = now,
            LocalDate = stamp.Date,
            LocalHour = stamp.Hour,
            LocalDayOfWeek = stamp.DayOfWeek,
        };

        if (v.Db.Database.IsSqlite())
        {
            var timeZone = number is null ? v.Helpline.Value.TimeZone : CallerNumbers.TimeZoneOf(number, v.Helpline.Value.TimeZone);
            if (v.Writer.TryWrite(new InboundCallWriter.InboundCall(call.CallSid, NewContact, number, call.CallerName, timeZone, now), out var write))
                return Written(v, call, await write);
            // The app is stopping and the writer takes no more: write it here, as on PostgreSQL.
        }
        return await WriteHereAsync(v, call, NewContact, number, now);
    }

    /// <summary>
    /// A number a supervisor blocked: the contact is kept (status Blocked, ended now) so the refusal
    /// shows in reports and the audit trail, and it never reaches the queue.
    /// </summary>
    public static async Task<bool> IsBlockedAsync(VoiceApi.Voice v, Contact contact, VoiceWebhook call, DateTime now)
    {
        if (contact.Status != ContactStatus.InMenu || CallerNumbers.CallableE164(call.From) is not { } number ||
            !await Blocking.BlockedNumbers.IsBlockedAsync(v.Db, number, now))
            return false;
        if (await v.Transitions.BlockAsync(contact.Id, now))
            v.Log.LogInformation("Call {CallSid} (contact {ContactId}) is from a blocked number; told so and hung up", call.CallSid, contact.Id);
        return true;
    }

    private static (Contact Contact, bool BlockChecked) Written(VoiceApi.Voice v, VoiceWebhook call, InboundCallWriter.Written written)
    {
        if (written.Created)
        {
            v.Log.LogInformation("Inbound call {CallSid} is contact {ContactId}", call.CallSid, written.Contact.Id);
            if (written.Contact.Status == ContactStatus.Blocked)
                v.Log.LogInformation("Call {CallSid} (contact {ContactId}) is from a blocked number; told so and hung up", call.CallSid, written.Contact.Id);
        }
        return (written.Contact, written.Created);
    }

    /// <summary>The write in this request, as on PostgreSQL: the CallSid looked up first, then the caller and contact inserted.</summary>
    private static async Task<(Contact Contact, bool BlockChecked)> WriteHereAsync(VoiceApi.Voice v, VoiceWebhook call, Func<Contact> newContact, string? number, DateTime now)
    {
        // One connection for the lookups and the insert: EF Core would otherwise open and close a
        // pooled one around each, and every open sets the connection up again.
        await v.Db.Database.OpenConnectionAsync();
        var existing = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (existing is not null)
            return (existing, false);

        var contact = newContact();
        await using var transaction = await v.Db.Database.BeginWriteTransactionAsync();
        try
        {
            if (number is not null)
                contact.CallerId = (await FindOrCreateCallerAsync(v, number, call.CallerName, now)).Id;
            // A refused contact rolls the whole transaction back, so EF's savepoint around it would
            // only be two more statements while other webhooks wait for the write lock.
            v.Db.Database.AutoSavepointsEnabled = false;
            v.Db.Contacts.Add(contact);
            await v.Db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            await transaction.RollbackAsync();
            v.Db.ChangeTracker.Clear();
            v.Log.LogInformation("Inbound call {CallSid} was recorded by a request at the same moment (a Twilio retry); using that contact", call.CallSid);
            return (await v.Db.Contacts.AsNoTracking().SingleAsync(c => c.CallSid == call.CallSid), false);
        }
        v.Log.LogInformation("Inbound call {CallSid} is contact {ContactId}", call.CallSid, contact.Id);
        return (contact, false);
    }

    private static Task<Caller> FindOrCreateCallerAsync(VoiceApi.Voice v, string e164, string? callerName, DateTime now) =>
        v.Db.FindOrCreateCallerAsync(e164, hash => new Caller
        {
            PhoneHash = hash,
            PhoneNumber = e164,
            Name = callerName,
            TimeZone = CallerNumbers.TimeZoneOf(e164, v.Helpline.Value.TimeZone),
            Language = CallerLanguage.English,
            CreatedAt = now,
        });
}
