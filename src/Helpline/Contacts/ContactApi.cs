using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Callbacks;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Helpline.Telephony;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Contacts;

/// <summary>A contact's details (every read leaves an audit entry), its wrap-up draft, completing it, and raising it.</summary>
public static class ContactApi
{
    internal static IEndpointRouteBuilder MapContactApi(this IEndpointRouteBuilder app)
    {
        var contacts = app.MapGroup("/api/contacts").RequireAuthorization();
        contacts.MapGet("/{id:long}", Details);
        contacts.MapPost("/{id:long}/complete", Complete);
        contacts.MapPut("/{id:long}/draft", SaveDraft);
        contacts.MapPost("/{id:long}/priority", Raise).RequireAuthorization(AccountsExtensions.SupervisorPolicy);
        contacts.MapPost("/{id:long}/crisis-transfer", CrisisTransfer);
        contacts.MapGet("/{id:long}/recording", Recording);
        return app;
    }

    /// <param name="Recorded">When, on the caller's clock and named so ("Dec 5, 2026, 8:14 AM Eastern time").</param>
    public sealed record ConsentDetails(ConsentKind Kind, bool Granted, string TextVersion, ConsentSource Source, DateTime RecordedAt, string? Recorded = null);

    public sealed record EarlierContact(long Id, DateTime CreatedAt, ContactChannel Channel, ContactStatus Status, Disposition? Disposition);

    /// <param name="Window">The caller's hours as they would say them ("8 AM–9 PM Eastern time").</param>
    /// <param name="Due">The due time on the caller's clock.</param>
    public sealed record CallbackDetails(long Id, CallbackStatus Status, DateTime DueAt, string TimeZone, TimeOnly WindowStartLocal, TimeOnly WindowEndLocal, int Attempts, int MaxAttempts,
        string? Window = null, string? Due = null);

    public sealed record ContactDetails(
        long Id,
        ContactChannel Channel,
        ContactStatus Status,
        ContactPriority Priority,
        CallerLanguage Language,
        ContactFor For,
        string? Region,
        DateTime CreatedAt,
        DateTime? QueuedAt,
        string? CallerNumber,
        string? CallerName,
        string? CallerTimeZone,
        bool CallerIdWithheld,
        string? DisclosureVersion,
        bool HasRecording,
        Disposition? Disposition,
        string? Notes,
        IReadOnlyList<ConsentDetails> Consents,
        IReadOnlyList<EarlierContact> EarlierContacts,
        IReadOnlyList<CallbackDetails> Callbacks,
        CallerWishes Wishes,
        string? AlternateNumber,
        Substance? Substance,
        DateTime? CrisisTransferredAt,
        WrapUpDraft? Draft);

    /// <summary>
    /// What keeps the caller safe, from their latest answer to each question (null: never asked).
    /// Discretion means a neutral caller name and a neutral voicemail.
    /// </summary>
    public sealed record CallerWishes(bool? SafeToCall, bool? VoicemailAllowed, bool? Discretion, bool? TextsAllowed);

    /// <summary>The wrap-up as the advisor writes it during the call; kept on the server, encrypted.</summary>
    public sealed record WrapUpDraft(Disposition? Disposition, [property: MaxLength(300)] string? Referral, [property: MaxLength(4000)] string? Notes);

    public sealed record CompleteRequest(Disposition Disposition, [property: MaxLength(4000)] string? Notes, FollowUpRequest? FollowUp = null);

    /// <summary>A follow-up call the caller agreed to on the phone: a day and a window in their own time.</summary>
    public sealed record FollowUpRequest(DateOnly Date, TimeOnly WindowStart, TimeOnly WindowEnd, bool CallerAgreed);

    /// <summary>Version of the advisor's follow-up question, stored as the evidence of the caller's spoken consent.</summary>
    public const string FollowUpConsentVersion = "advisor-follow-up-2026-11";

    public sealed record PriorityRequest(ContactPriority Priority);

    internal static async Task<Results<Ok<ContactDetails>, NotFound>> Details(long id, ClaimsPrincipal user, HelplineDb db, HelplineTime time)
    {
        var contact = await db.Contacts.AsNoTracking().Include(c => c.Caller).SingleOrDefaultAsync(c => c.Id == id);
        if (contact is null)
            return TypedResults.NotFound();

        var consents = contact.CallerId is { } callerId
            ? await db.Consents.AsNoTracking().Where(c => c.CallerId == callerId).OrderBy(c => c.RecordedAt)
                .Select(c => new ConsentDetails(c.Kind, c.Granted, c.TextVersion, c.Source, c.RecordedAt, null)).ToListAsync()
            : [];
        consents = [.. consents.Select(c => c with { Recorded = HumanFormats.Moment(c.RecordedAt, contact.Caller?.TimeZone, "en") })];
        var earlier = contact.CallerId is { } sameCaller
            ? await db.Contacts.AsNoTracking().Where(c => c.CallerId == sameCaller && c.Id != id).OrderByDescending(c => c.CreatedAt).Take(20)
                .Select(c => new EarlierContact(c.Id, c.CreatedAt, c.Channel, c.Status, c.Disposition)).ToListAsync()
            : [];
        bool? Latest(ConsentKind kind) => consents.Where(c => c.Kind == kind).Select(c => (bool?)c.Granted).LastOrDefault();
        var neutral = (Latest(ConsentKind.NeutralCallerId), Latest(ConsentKind.NeutralVoicemail)) switch
        {
            (null, null) => (bool?)null,
            (var neutralId, var voicemail) => neutralId == true || voicemail == true,
        };
        var wishes = new CallerWishes(Latest(ConsentKind.SafeToCall), Latest(ConsentKind.LeaveVoicemail), neutral, Latest(ConsentKind.Text));
        var callbacks = await db.Callbacks.AsNoTracking().Where(c => c.ContactId == id).OrderBy(c => c.DueAt)
            .Select(c => new CallbackDetails(c.Id, c.Status, c.DueAt, c.TimeZone, c.WindowStartLocal, c.WindowEndLocal, c.Attempts, c.MaxAttempts, null, null)).ToListAsync();
        callbacks = [.. callbacks.Select(c => c with
        {
            Window = HumanFormats.Window(c.WindowStartLocal, c.WindowEndLocal, c.TimeZone, "en"),
            Due = HumanFormats.Moment(c.DueAt, c.TimeZone, "en"),
        })];

        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contact.viewed", id));
        await db.SaveChangesAsync();

        return TypedResults.Ok(new ContactDetails(
            contact.Id, contact.Channel, contact.Status, contact.Priority, contact.Language, contact.For, contact.Region,
            contact.CreatedAt, contact.QueuedAt, contact.Caller?.PhoneNumber, contact.Caller?.Name, contact.Caller?.TimeZone,
            contact.CallerIdWithheld, contact.DisclosureVersion, contact.RecordingUrl is not null, contact.Disposition, contact.Notes,
            consents, earlier, callbacks, wishes, contact.Caller?.AlternatePhoneNumber,
            contact.Substance ?? await LastSubstanceAsync(db, contact), contact.CrisisTransferredAt, ReadDraft(contact.WrapUpDraft, contact.AdvisorId)));
    }

    /// <summary>The substance the caller named on an earlier contact, when this one (a follow-up, a call) has none.</summary>
    private static async Task<Substance?> LastSubstanceAsync(HelplineDb db, Contact contact) => contact.CallerId is { } callerId
        ? await db.Contacts.AsNoTracking().Where(c => c.CallerId == callerId && c.Substance != null)
            .OrderByDescending(c => c.CreatedAt).Select(c => c.Substance).FirstOrDefaultAsync()
        : null;

    /// <summary>A draft as stored: whose it is, so it is shown only while that advisor holds the contact.</summary>
    private sealed record StoredDraft(string AdvisorId, WrapUpDraft Draft);

    /// <summary>
    /// The draft of the advisor who holds the contact now. A contact released after a missed call and
    /// taken by another advisor does not hand them the first one's notes; their first save replaces it.
    /// A draft that cannot be read is left out rather than keep the caller's details from the advisor.
    /// </summary>
    private static WrapUpDraft? ReadDraft(string? json, string? holder)
    {
        if (json is null || holder is null)
            return null;
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<StoredDraft>(json, DraftJson) is { } stored && stored.AdvisorId == holder ? stored.Draft : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions DraftJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>
    /// Saves the wrap-up draft of the advisor's own contact while it is active (connecting, on the
    /// call, in wrap-up), so notes written during the call survive a reload without ever being kept
    /// in the browser. The value is encrypted like the notes.
    /// </summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> SaveDraft(long id, WrapUpDraft draft, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db)
    {
        if (draft.Disposition is { } disposition && !Enum.IsDefined(disposition))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Unknown disposition.");
        if (draft.Notes is { Length: > 4000 })
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Notes are limited to 4,000 characters.");
        if (draft.Referral is { Length: > 300 })
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "The referral is limited to 300 characters.");
        var me = users.GetUserId(user);
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        var contact = await db.Contacts.SingleOrDefaultAsync(c => c.Id == id);
        if (contact is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such contact.");
        if (me is null || contact.AdvisorId != me)
            return QueueApi.Problem(StatusCodes.Status403Forbidden, "This contact is another advisor's.");
        if (contact.Status is not (ContactStatus.Connecting or ContactStatus.InProgress or ContactStatus.WrapUp))
            return QueueApi.Problem(StatusCodes.Status409Conflict, "This contact is completed; its draft is closed.");

        var empty = draft.Disposition is null && string.IsNullOrWhiteSpace(draft.Referral) && string.IsNullOrWhiteSpace(draft.Notes);
        // Through the tracked entity, so the value converter encrypts it.
        contact.WrapUpDraft = empty ? null : System.Text.Json.JsonSerializer.Serialize(new StoredDraft(me, draft), DraftJson);
        await db.SaveChangesAsync();
        // Completed or passed to another advisor meanwhile (on PostgreSQL another transaction may commit
        // between the read and the save): a late draft must neither reopen a closed contact nor
        // overwrite the next advisor's. Not committed, the save is undone.
        var moved = await db.Contacts.AnyAsync(c => c.Id == id && (c.AdvisorId != me
                || (c.Status != ContactStatus.Connecting && c.Status != ContactStatus.InProgress && c.Status != ContactStatus.WrapUp)));
        if (moved)
            return QueueApi.Problem(StatusCodes.Status409Conflict, "This contact is no longer yours to wrap up; its draft is closed.");
        await transaction.CommitAsync();
        return TypedResults.NoContent();
    }

    /// <summary>Wrap-up: disposition and notes; the contact is completed and the advisor available again.</summary>
    internal static async Task<Results<Ok, ProblemHttpResult>> Complete(long id, CompleteRequest request, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db, ContactTransitions transitions, HelplineTime time, OpeningHours hours, CallbackDispatcher callbacks)
    {
        if (!Enum.IsDefined(request.Disposition))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Unknown disposition.");
        if (request.Notes is { Length: > 4000 })
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Notes are limited to 4,000 characters.");

        var contact = await db.Contacts.AsNoTracking().Include(c => c.Caller).SingleOrDefaultAsync(c => c.Id == id);
        if (contact is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such contact.");
        if (request.FollowUp is { } asked && FollowUpProblem(asked, contact, time) is ({ } field, { } problem))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, problem, new Dictionary<string, object?> { ["field"] = field });
        var me = users.GetUserId(user);
        var supervisor = user.IsInRole(Roles.Supervisor) || user.IsInRole(Roles.Admin);
        if (contact.AdvisorId != me && !supervisor)
            return QueueApi.Problem(StatusCodes.Status403Forbidden, "This contact is another advisor's.");
        if (contact.Status != ContactStatus.WrapUp)
            return QueueApi.Problem(StatusCodes.Status409Conflict, contact.Status == ContactStatus.InProgress
                ? "The call is still going on; wrap-up starts when it ends."
                : "This contact is not in wrap-up.");

        if (!await transitions.CompleteAsync(contact, request.Disposition, now => RecordWrapUpAsync(db, contact, request, user, now, hours, time)))
            return QueueApi.Problem(StatusCodes.Status409Conflict, "This contact was completed already.");
        if (request.FollowUp is not null)
            callbacks.Wake();
        return TypedResults.Ok();
    }

    /// <summary>
    /// In the completing transaction: the notes, a wrong number's callbacks closed, the audit entry
    /// and the follow-up the caller agreed to.
    /// </summary>
    private static async Task RecordWrapUpAsync(HelplineDb db, Contact contact, CompleteRequest request, ClaimsPrincipal user, DateTime now, OpeningHours hours, HelplineTime time)
    {
        if (!string.IsNullOrWhiteSpace(request.Notes))
        {
            // Notes go through the tracked entity so the value converter encrypts them.
            var tracked = await db.Contacts.SingleAsync(c => c.Id == contact.Id);
            tracked.Notes = request.Notes.Trim();
        }
        if (request.Disposition == Disposition.WrongNumber)
        {
            // A callback that reached the wrong person is over: no further attempts at this number.
            await db.Callbacks.Where(c => c.ContactId == contact.Id && (c.Status == CallbackStatus.Completed || c.Status == CallbackStatus.InProgress))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, CallbackStatus.Completed)
                    .SetProperty(c => c.LastOutcome, CallbackOutcome.WrongNumber)
                    .SetProperty(c => c.UpdatedAt, now));
        }
        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contact.completed", contact.Id, $"disposition {request.Disposition}"));
        if (request.FollowUp is { } followUp)
            ScheduleFollowUp(db, contact, followUp, now, hours, time);
    }

    /// <summary>What is wrong with a follow-up, and the field it belongs to (named as the wrap-up form names it).</summary>
    private static (string? Field, string? Problem) FollowUpProblem(FollowUpRequest followUp, Contact contact, HelplineTime time)
    {
        if (contact.Caller is null)
            return ("followUp", "The caller's number is withheld, so no follow-up call can be scheduled.");
        if (!followUp.CallerAgreed)
            return ("followUpAgreed", "A follow-up is scheduled only when the caller agreed to be called back.");
        if (followUp.WindowEnd <= followUp.WindowStart)
            return ("followUpUntil", "The follow-up window must end after it starts.");
        if (followUp.WindowEnd <= CallbackWindow.Earliest || followUp.WindowStart >= CallbackWindow.Latest)
            return ("followUpFrom", "The follow-up window must fall between 8:00 and 21:00 in the caller's time zone.");
        var callerToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(time.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(contact.Caller.TimeZone)));
        if (followUp.Date < callerToday || followUp.Date > callerToday.AddDays(60))
            return ("followUpDate", "The follow-up date must be between today and 60 days from now (the caller's date).");
        return (null, null);
    }

    /// <summary>
    /// A new contact for the follow-up, waiting for its callback, with the caller's spoken consent as
    /// evidence. The callback is due at the first moment of the window when the line is open. Reports
    /// count the follow-up as a contact of the day it is due, the day it is the line's work, not of
    /// the day it was booked (which already counts the call that booked it).
    /// </summary>
    private static void ScheduleFollowUp(HelplineDb db, Contact contact, FollowUpRequest followUp, DateTime now, OpeningHours hours, HelplineTime time)
    {
        var caller = contact.Caller!;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(caller.TimeZone);
        var start = followUp.WindowStart < CallbackWindow.Earliest ? CallbackWindow.Earliest : followUp.WindowStart;
        var end = followUp.WindowEnd > CallbackWindow.Latest ? CallbackWindow.Latest : followUp.WindowEnd;
        var from = TimeZoneInfo.ConvertTimeToUtc(followUp.Date.ToDateTime(start), zone);
        if (from < now)
            from = now;
        var due = CallbackWindow.DueTime(from, caller.TimeZone, start, end, hours);
        var dueDay = time.Stamp(due);
        var followUpContact = new Contact
        {
            CallerId = caller.Id,
            Channel = ContactChannel.Callback,
            Status = ContactStatus.AwaitingCallback,
            Language = contact.Language,
            For = contact.For,
            Region = contact.Region,
            DisclosureVersion = contact.DisclosureVersion,
            CreatedAt = now,
            UpdatedAt = now,
            LocalDate = dueDay.Date,
            LocalHour = dueDay.Hour,
            LocalDayOfWeek = dueDay.DayOfWeek,
        };
        db.Contacts.Add(followUpContact);
        db.Consents.Add(Consent.ToCallBack(caller.Id, contact.Id, FollowUpConsentVersion, ConsentSource.Advisor, now));
        var callback = Callback.Promised(followUpContact.Id, caller.Id, caller.TimeZone, start, end, due, now);
        // The new contact's id comes with the save.
        callback.Contact = followUpContact;
        db.Callbacks.Add(callback);
    }

    /// <summary>A supervisor raises (or lowers) a waiting contact's priority.</summary>
    internal static async Task<Results<Ok, ProblemHttpResult>> Raise(long id, PriorityRequest request, ClaimsPrincipal user, HelplineDb db, QueueEvents events, HelplineTime time)
    {
        if (!Enum.IsDefined(request.Priority))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Unknown priority.");
        var now = time.UtcNow;
        var changed = await events.CommitAsync(async () =>
        {
            var changed = await db.Contacts.Where(c => c.Id == id && c.Status == ContactStatus.Waiting)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Priority, request.Priority).SetProperty(c => c.UpdatedAt, now));
            if (changed == 0)
                return null;
            db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contact.priority-changed", id, $"priority {request.Priority}"));
            return [events.Record(QueueChangeKinds.ContactUpdated, now, id)];
        });
        if (!changed)
            return QueueApi.Problem(StatusCodes.Status409Conflict, "Only a waiting contact's priority can change.");
        return TypedResults.Ok();
    }

    /// <summary>
    /// One click: the crisis line is called into the caller's conference (a warm transfer); the advisor
    /// stays until they hang up. Logged on the contact and in the audit trail.
    /// </summary>
    internal static async Task<Results<Ok, ProblemHttpResult>> CrisisTransfer(long id, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db,
        QueueEvents events, HelplineTime time, ITelephonyGateway gateway, PublicUrls urls, IOptions<HelplineOptions> helpline)
    {
        var contact = await db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id);
        if (contact is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such contact.");
        if (contact.AdvisorId != users.GetUserId(user) && !(user.IsInRole(Roles.Supervisor) || user.IsInRole(Roles.Admin)))
            return QueueApi.Problem(StatusCodes.Status403Forbidden, "This contact is another advisor's.");
        if (contact.Status != ContactStatus.InProgress)
            return QueueApi.Problem(StatusCodes.Status409Conflict, "A warm transfer needs the caller on the line.");
        if (contact.TransferCallSid is not null)
            return QueueApi.Problem(StatusCodes.Status409Conflict, "The crisis line has been called into this call already.");

        string transferCall;
        try
        {
            transferCall = await Bridge.BridgeApi.DialIntoConferenceAsync(gateway, urls, helpline.Value.HotlineNumber, id, helpline.Value.CrisisLineNumber);
        }
        catch (TelephonyException)
        {
            return QueueApi.Problem(StatusCodes.Status502BadGateway, "The phone network could not call the crisis line; stay with the caller and give them 988.");
        }

        var now = time.UtcNow;
        await events.CommitAsync(async () =>
        {
            await db.Contacts.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.TransferCallSid, transferCall)
                .SetProperty(c => c.CrisisTransferredAt, now)
                .SetProperty(c => c.UpdatedAt, now));
            db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contact.crisis-transfer", id, "crisis line called into the conference"));
            return [events.Record(QueueChangeKinds.ContactUpdated, now, id)];
        });
        return TypedResults.Ok();
    }

    /// <summary>The voicemail, played through the app to signed-in staff (never a raw Twilio link); audited.</summary>
    internal static async Task<Results<FileContentHttpResult, NotFound, ProblemHttpResult>> Recording(long id, ClaimsPrincipal user, HelplineDb db, HelplineTime time, ITelephonyGateway gateway)
    {
        var recording = await db.Contacts.AsNoTracking().Where(c => c.Id == id).Select(c => c.RecordingUrl).SingleOrDefaultAsync();
        if (recording is null)
            return TypedResults.NotFound();
        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contact.recording-played", id));
        await db.SaveChangesAsync();
        try
        {
            var audio = await gateway.FetchRecordingAsync(recording);
            return TypedResults.File(audio.Content, audio.ContentType);
        }
        catch (TelephonyException)
        {
            return QueueApi.Problem(StatusCodes.Status502BadGateway, "The recording could not be fetched from the phone network.");
        }
    }
}
