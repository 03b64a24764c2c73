using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Disclosure;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using HttpMethod = Twilio.Http.HttpMethod;
using Task = System.Threading.Tasks.Task;

namespace Helpline.Calls;

/// <summary>
/// Twilio's voice webhooks: the inbound call, its menu, after-hours voicemail, the wait loop and the
/// status callbacks. Every route here is guarded by <see cref="Telephony.TwilioSignatureMiddleware"/>.
/// </summary>
public static class VoiceApi
{
    /// <summary>The one Twilio queue that holds waiting callers; the order that matters is ours, in the database.</summary>
    internal const string TwilioQueueName = "helpline";

    /// <summary>The writer that commits inbound calls arriving together on SQLite in one transaction.</summary>
    public static WebApplicationBuilder AddCalls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InboundCallWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InboundCallWriter>());
        return builder;
    }

    public static IEndpointRouteBuilder MapCalls(this IEndpointRouteBuilder app)
    {
        // Twilio signs its requests instead of signing in; antiforgery has no place here.
        var voice = app.MapGroup("/twilio/voice").AllowAnonymous().DisableAntiforgery();
        voice.MapPost("/incoming", Incoming);
        voice.MapPost("/menu", Menu);
        voice.MapPost("/after-hours", AfterHoursKey);
        voice.MapPost("/voicemail", Voicemail);
        voice.MapPost("/wait", Wait);
        voice.MapPost("/wait-key", WaitKey);
        voice.MapPost("/queue-result", QueueResult);
        voice.MapPost("/status", Status);
        return app;
    }

    internal sealed record Voice(
        HttpRequest Request,
        HelplineDb Db,
        HelplineTime Time,
        OpeningHours Hours,
        IOptions<HelplineOptions> Helpline,
        IOptions<DisclosureOptions> Disclosure,
        IOptions<QueueOptions> Queue,
        QueueEvents Events,
        CallbackDispatcher Callbacks,
        InboundCallWriter Writer,
        ILogger<Voice> Log);

    internal static async Task<IResult> Incoming([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();

        var (contact, blockChecked) = await FindOrCreateContactAsync(v, call);
        var now = v.Time.UtcNow;
        if (contact.Status == ContactStatus.Blocked || (!blockChecked && await IsBlockedAsync(v, contact, call, now)))
            return Twiml(Say(Say(new VoiceResponse(), Prompts.English, Prompts.English.Blocked), Prompts.Spanish, Prompts.Spanish.Blocked).Hangup());
        if (!v.Hours.IsOpen(now))
            return Twiml(AfterHours(v, Prompts.English, canCallBack: !contact.CallerIdWithheld, offerSpanish: true));
        return Twiml(Greeting(v, Prompts.English, attempt: 1));
    }

    internal static async Task<IResult> Menu([AsParameters] Voice v, int attempt = 1)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is null)
            return Twiml(new VoiceResponse().Redirect(Url("/twilio/voice/incoming"), method: HttpMethod.Post));

        var prompts = Prompts.For(contact.Language);
        switch (call.Digits)
        {
            case "9":
                return Twiml(await TransferToCrisisLineAsync(v, contact, prompts));
            case "3" when contact.Language == CallerLanguage.English:
                await SwitchToSpanishAsync(v, contact);
                return Twiml(Greeting(v, Prompts.Spanish, attempt: 1));
            case "1":
                return Twiml(await EnqueueAsync(v, contact, ContactFor.Self, prompts));
            case "2":
                return Twiml(await EnqueueAsync(v, contact, ContactFor.LovedOne, prompts));
            default:
                // No digit or a wrong one: say the menu once more, then take the caller as calling for themselves.
                return attempt < 2
                    ? Twiml(Greeting(v, prompts, attempt: 2))
                    : Twiml(await EnqueueAsync(v, contact, ContactFor.Self, prompts));
        }
    }

    internal static async Task<IResult> AfterHoursKey([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is null)
            return Twiml(new VoiceResponse().Redirect(Url("/twilio/voice/incoming"), method: HttpMethod.Post));

        var prompts = Prompts.For(contact.Language);
        switch (call.Digits)
        {
            case "9":
                return Twiml(await TransferToCrisisLineAsync(v, contact, prompts));
            case "3" when contact.Language == CallerLanguage.English:
                await SwitchToSpanishAsync(v, contact);
                return Twiml(AfterHours(v, Prompts.Spanish, canCallBack: !contact.CallerIdWithheld, offerSpanish: false));
            default:
                return Twiml(AfterHours(v, prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, repeat: true));
        }
    }

    internal static async Task<IResult> Voicemail([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.Include(c => c.Caller).SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is null)
            return Twiml(new VoiceResponse().Hangup());

        var prompts = Prompts.For(contact.Language);
        if (call.RecordingUrl is null || call.RecordingDuration is not > 0 || contact.Caller is null)
        {
            // Nothing recorded (or nobody to call back): end the call and leave no promise behind.
            await v.Db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.InMenu)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.EndedInMenu).SetProperty(c => c.EndedAt, v.Time.UtcNow));
            return Twiml(Say(new VoiceResponse(), prompts, prompts.NoVoicemailLeft).Hangup());
        }

        if (contact.Status == ContactStatus.InMenu)
        {
            var now = v.Time.UtcNow;
            var caller = contact.Caller;
            await using var transaction = await v.Db.Database.BeginWriteTransactionAsync();
            contact.Channel = ContactChannel.Voicemail;
            contact.Status = ContactStatus.AwaitingCallback;
            contact.RecordingUrl = call.RecordingUrl;
            contact.RecordingSid = call.RecordingSid;
            contact.RecordingSeconds = call.RecordingDuration;
            contact.EndedAt = now;
            contact.UpdatedAt = now;
            v.Db.Consents.Add(new Consent
            {
                CallerId = caller.Id,
                ContactId = contact.Id,
                Kind = ConsentKind.CallBack,
                Granted = true,
                TextVersion = Prompts.VoicemailConsentVersion,
                Source = ConsentSource.Voicemail,
                RecordedAt = now,
            });
            // If the line stays closed beyond the search horizon, the callback still waits for the caller's
            // own hours; the callback job re-checks opening hours when it fires.
            var due = CallbackWindow.FirstDueTime(now, caller.TimeZone, CallbackWindow.Earliest, CallbackWindow.Latest, v.Hours)
                ?? CallbackWindow.FirstDueTime(now, caller.TimeZone, CallbackWindow.Earliest, CallbackWindow.Latest, hours: null)!.Value;
            v.Db.Callbacks.Add(new Callback
            {
                ContactId = contact.Id,
                CallerId = caller.Id,
                Status = CallbackStatus.Scheduled,
                DueAt = due,
                TimeZone = caller.TimeZone,
                WindowStartLocal = CallbackWindow.Earliest,
                WindowEndLocal = CallbackWindow.Latest,
                CreatedAt = now,
                UpdatedAt = now,
            });
            var change = v.Events.Record(QueueChangeKinds.ContactUpdated, now, contact.Id);
            await v.Db.SaveChangesAsync();
            await transaction.CommitAsync();
            await v.Events.PublishAsync(change);
            v.Callbacks.Wake();
            v.Log.LogInformation("Voicemail on call {CallSid} became contact {ContactId} with a callback due at {DueAt:o}", call.CallSid, contact.Id, due);
        }
        return Twiml(Say(new VoiceResponse(), prompts, prompts.VoicemailThanks).Hangup());
    }

    /// <summary>
    /// Twilio's wait loop while the caller is in its queue: the place in line as *our* queue orders
    /// it and the expected wait, with 1 for a callback (keeping the place) and 9 for the crisis line,
    /// listened for the whole interval. Past the longest wait, or with nobody signed in, the caller
    /// is offered a voicemail instead: never an endless loop.
    /// </summary>
    internal static async Task<IResult> Wait([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is not { Status: ContactStatus.Waiting, QueuedAt: { } queuedAt, QueueExit: QueueExit.None, Channel: ContactChannel.Phone })
            return Twiml(new VoiceResponse().Pause(length: 5));

        var now = v.Time.UtcNow;
        var prompts = Prompts.For(contact.Language);
        var advisorsOn = await v.Db.Users.CountAsync(u => u.Presence != Presence.Offline);
        if (advisorsOn == 0 || (now - queuedAt).TotalSeconds >= v.Queue.Value.LongestWaitSeconds)
        {
            var marked = await v.Db.Contacts
                .Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.QueueExit, QueueExit.Voicemail).SetProperty(c => c.UpdatedAt, now));
            var leave = Say(new VoiceResponse(), prompts, prompts.QueueUnavailable);
            return Twiml(marked == 1 ? leave.Leave() : leave.Pause(length: 5));
        }

        var ahead = await v.Db.Contacts.CountAsync(c => c.Status == ContactStatus.Waiting && c.Id != contact.Id &&
            (c.Priority > contact.Priority ||
             (c.Priority == contact.Priority && (c.QueuedAt < queuedAt || (c.QueuedAt == queuedAt && c.Id < contact.Id)))));
        var minutes = await ExpectedWaitMinutesAsync(v, ahead + 1, advisorsOn, now);

        var gather = Gather(Url("/twilio/voice/wait-key"), timeoutSeconds: 1);
        Say(gather, prompts, string.Format(prompts.PlaceInLine, ahead + 1));
        Say(gather, prompts, string.Format(minutes == 1 ? prompts.ExpectedWaitOneMinute : prompts.ExpectedWait, minutes));
        if (!contact.CallerIdWithheld)
            Say(gather, prompts, prompts.CallbackOffer);
        Say(gather, prompts, prompts.CrisisWhileWaiting);
        gather.Pause(length: v.Queue.Value.AnnouncementIntervalSeconds);
        var response = new VoiceResponse();
        response.Append(gather);
        return Twiml(response);
    }

    /// <summary>A key pressed while waiting: 1 leaves Twilio's queue keeping the place in ours, 9 the crisis line.</summary>
    internal static async Task<IResult> WaitKey([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is not { Status: ContactStatus.Waiting })
            return Twiml(new VoiceResponse().Pause(length: 1));

        var now = v.Time.UtcNow;
        var prompts = Prompts.For(contact.Language);
        if (call.Digits == "1" && contact is { CallerIdWithheld: false, Channel: ContactChannel.Phone, CallerId: { } callerId })
        {
            if (!await KeepPlaceAsCallbackAsync(v, contact, callerId, now))
                return Twiml(new VoiceResponse().Pause(length: 1));
            return Twiml(new VoiceResponse().Leave());
        }
        if (call.Digits == "9")
        {
            await v.Db.Contacts
                .Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Channel == ContactChannel.Phone)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.QueueExit, QueueExit.CrisisLine).SetProperty(c => c.UpdatedAt, now));
            return Twiml(Say(new VoiceResponse(), prompts, prompts.ConnectingCrisis).Leave());
        }
        return Twiml(new VoiceResponse().Redirect(Url("/twilio/voice/wait"), method: HttpMethod.Post));
    }

    /// <summary>
    /// Press 1 while waiting: the caller hangs up and keeps their place. The contact stays in the queue
    /// as a callback due now, taken like any other (the advisor is rung first, then the caller). Outside
    /// the caller's own hours, or once the line has closed, it leaves the queue until the first moment
    /// both allow. Returns false if the caller had already left the queue.
    /// </summary>
    private static async Task<bool> KeepPlaceAsCallbackAsync(Voice v, Contact contact, long callerId, DateTime now)
    {
        var timeZone = await v.Db.Callers.Where(c => c.Id == callerId).Select(c => c.TimeZone).SingleAsync();
        var callback = new Callback
        {
            ContactId = contact.Id,
            CallerId = callerId,
            Status = CallbackStatus.Due,
            DueAt = now,
            TimeZone = timeZone,
            WindowStartLocal = CallbackWindow.Earliest,
            WindowEndLocal = CallbackWindow.Latest,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var callableNow = CallbackRules.MayCallNow(callback, now, v.Hours);
        if (!callableNow)
        {
            callback.Status = CallbackStatus.Scheduled;
            callback.DueAt = CallbackWindow.FirstDueTime(now, timeZone, callback.WindowStartLocal, callback.WindowEndLocal, v.Hours)
                ?? CallbackWindow.FirstDueTime(now, timeZone, callback.WindowStartLocal, callback.WindowEndLocal, hours: null)!.Value;
        }

        QueueChange change;
        await using (var transaction = await v.Db.Database.BeginWriteTransactionAsync())
        {
            var kept = await v.Db.Contacts
                .Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Channel == ContactChannel.Phone)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Channel, ContactChannel.Callback)
                    .SetProperty(c => c.Status, callableNow ? ContactStatus.Waiting : ContactStatus.AwaitingCallback)
                    .SetProperty(c => c.UpdatedAt, now));
            if (kept == 0)
                return false;
            v.Db.Consents.Add(new Consent
            {
                CallerId = callerId,
                ContactId = contact.Id,
                Kind = ConsentKind.CallBack,
                Granted = true,
                TextVersion = Prompts.CallbackConsentVersion,
                Source = ConsentSource.PhoneKeypad,
                RecordedAt = now,
            });
            v.Db.Callbacks.Add(callback);
            change = v.Events.Record(callableNow ? QueueChangeKinds.ContactUpdated : QueueChangeKinds.ContactLeftQueue, now, contact.Id);
            await v.Db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await v.Events.PublishAsync(change);
        if (callableNow)
        {
            v.Log.LogInformation("Caller on contact {ContactId} chose a callback, keeping their place", contact.Id);
        }
        else
        {
            v.Callbacks.Wake();
            v.Log.LogInformation("Caller on contact {ContactId} chose a callback outside their hours; due at {DueAt:o}", contact.Id, callback.DueAt);
        }
        return true;
    }

    /// <summary>The Enqueue action: how the caller's time in Twilio's queue ended.</summary>
    internal static async Task<IResult> QueueResult([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is null)
            return Twiml(new VoiceResponse());

        var prompts = Prompts.For(contact.Language);
        switch (call.QueueResult)
        {
            case "hangup":
                await AbandonAsync(v, contact, call.QueueTime);
                return Twiml(new VoiceResponse());
            case "leave" when contact.Channel == ContactChannel.Callback:
                return Twiml(Say(new VoiceResponse(), prompts, contact.Status == ContactStatus.AwaitingCallback ? prompts.CallbackInYourHours : prompts.CallbackThanks).Hangup());
            case "leave" when contact.QueueExit == QueueExit.CrisisLine:
                return Twiml(await TransferToCrisisLineAsync(v, contact, prompts, announce: false));
            case "leave" when contact.QueueExit == QueueExit.Voicemail:
                await v.Db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.InMenu));
                await v.Events.PublishAsync(await RecordSavedAsync(v, QueueChangeKinds.ContactLeftQueue, contact.Id));
                return Twiml(AfterHours(v, prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, queueUnavailable: true));
            case "error" or "system-error" or "queue-full":
                // Never an endless loop: the caller is offered a voicemail (or told, if we cannot call back).
                v.Log.LogWarning("Twilio could not hold call {CallSid} in the queue: {QueueResult}", call.CallSid, call.QueueResult);
                await v.Db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.InMenu));
                await v.Events.PublishAsync(await RecordSavedAsync(v, QueueChangeKinds.ContactLeftQueue, contact.Id));
                return Twiml(AfterHours(v, prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, queueUnavailable: true));
            default:
                return Twiml(new VoiceResponse());
        }
    }

    /// <summary>
    /// The call status callback. A late or out-of-order callback (lower SequenceNumber) never moves a
    /// contact backwards; a callback for a call we do not know is acknowledged and ignored.
    /// </summary>
    internal static async Task<IResult> Status([AsParameters] Voice v)
    {
        if (!VoiceWebhook.TryRead(v.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        var contact = await v.Db.Contacts.SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is null)
            return Results.NoContent();

        // A callback older than one already applied (or the same one again) changes nothing.
        var sequence = call.SequenceNumber ?? contact.LastCallSequence + 1;
        var fresh = await v.Db.Contacts.Where(c => c.Id == contact.Id && c.LastCallSequence < sequence)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastCallSequence, sequence));
        if (fresh == 0)
            return Results.NoContent();

        var ended = call.CallStatus is "completed" or "busy" or "failed" or "no-answer" or "canceled";
        if (ended && contact.Status == ContactStatus.Waiting && contact.QueueExit == QueueExit.None && contact.Channel == ContactChannel.Phone)
        {
            await AbandonAsync(v, contact, queueSeconds: null);
        }
        else if (ended && contact.Status == ContactStatus.Connecting && contact.CallSid == call.CallSid && contact.Channel == ContactChannel.Phone)
        {
            await CallerLeftWhileConnectingAsync(v, contact);
        }
        else if (ended && contact.Status == ContactStatus.InProgress)
        {
            await ConversationEndedAsync(v, contact.Id);
        }
        else if (ended && contact.Status == ContactStatus.InMenu)
        {
            await v.Db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.InMenu)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.EndedInMenu)
                    .SetProperty(c => c.EndedAt, v.Time.UtcNow));
        }
        return Results.NoContent();
    }

    /// <summary>
    /// One contact per CallSid, however often and however concurrently Twilio retries: the unique
    /// index on CallSid settles it, and the loser of a race reads the winner's row. The caller (found
    /// by the blind index of their number, or created) and the contact are written in one transaction.
    /// A contact in the menu is not in the queue yet, so nothing is broadcast until it is.
    /// </summary>
    /// <remarks>
    /// On SQLite the write goes to <see cref="InboundCallWriter"/>, which commits the calls that arrive
    /// together in one transaction; it also checks the blocked list (<c>blockChecked</c>) for a contact
    /// it creates. There the CallSid is not looked up first: the unique index answers a retry.
    /// </remarks>
    private static async Task<(Contact Contact, bool BlockChecked)> FindOrCreateContactAsync(Voice v, VoiceWebhook call)
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
            {
                var written = await write;
                if (written.Created)
                {
                    v.Log.LogInformation("Inbound call {CallSid} is contact {ContactId}", call.CallSid, written.Contact.Id);
                    if (written.Contact.Status == ContactStatus.Blocked)
                        v.Log.LogInformation("Call {CallSid} (contact {ContactId}) is from a blocked number; told so and hung up", call.CallSid, written.Contact.Id);
                }
                return (written.Contact, written.Created);
            }
            // The app is stopping and the writer takes no more: write it here, as on PostgreSQL.
        }

        // One connection for the lookups and the insert: EF Core would otherwise open and close a
        // pooled one around each, and every open sets the connection up again.
        await v.Db.Database.OpenConnectionAsync();
        var existing = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (existing is not null)
            return (existing, false);

        var contact = NewContact();
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

    /// <summary>
    /// A number a supervisor blocked: the contact is kept (status Blocked, ended now) so the refusal
    /// shows in reports and the audit trail, and it never reaches the queue.
    /// </summary>
    private static async Task<bool> IsBlockedAsync(Voice v, Contact contact, VoiceWebhook call, DateTime now)
    {
        if (contact.Status != ContactStatus.InMenu || CallerNumbers.CallableE164(call.From) is not { } number ||
            !await Blocking.BlockedNumbers.IsBlockedAsync(v.Db, number, now))
            return false;
        var marked = await v.Db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.InMenu)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.Blocked).SetProperty(c => c.EndedAt, now).SetProperty(c => c.UpdatedAt, now));
        if (marked == 1)
        {
            v.Db.AuditEntries.Add(new Audit.AuditEntry { At = now, Action = "call.blocked", ContactId = contact.Id, Details = "the number is blocked; not queued" });
            await v.Db.SaveChangesAsync();
            v.Log.LogInformation("Call {CallSid} (contact {ContactId}) is from a blocked number; told so and hung up", call.CallSid, contact.Id);
        }
        return true;
    }

    /// <summary>Inside the caller's transaction: a unique-index refusal rolls back to EF's savepoint and the existing caller is read.</summary>
    private static async Task<Caller> FindOrCreateCallerAsync(Voice v, string e164, string? callerName, DateTime now)
    {
        var hash = v.Db.Protector.BlindIndex(e164);
        var caller = await v.Db.Callers.SingleOrDefaultAsync(c => c.PhoneHash == hash);
        if (caller is not null)
            return caller;

        caller = new Caller
        {
            PhoneHash = hash,
            PhoneNumber = e164,
            Name = callerName,
            TimeZone = CallerNumbers.TimeZoneOf(e164, v.Helpline.Value.TimeZone),
            Language = CallerLanguage.English,
            CreatedAt = now,
        };
        v.Db.Callers.Add(caller);
        try
        {
            await v.Db.SaveChangesAsync();
            return caller;
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation() && e.Entries.All(entry => entry.Entity is Caller))
        {
            v.Db.Entry(caller).State = EntityState.Detached;
            return await v.Db.Callers.SingleAsync(c => c.PhoneHash == hash);
        }
    }

    private static async Task<VoiceResponse> EnqueueAsync(Voice v, Contact contact, ContactFor contactFor, Prompts prompts)
    {
        var now = v.Time.UtcNow;
        if (!await v.Db.Users.AnyAsync(u => u.Presence != Presence.Offline))
        {
            // Nobody is signed in to answer: no endless wait, a voicemail (or a goodbye) instead.
            await v.Db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.InMenu)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.For, contactFor).SetProperty(c => c.UpdatedAt, now));
            return AfterHours(v, prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, queueUnavailable: true);
        }

        QueueChange? queuedChange = null;
        await using (var transaction = await v.Db.Database.BeginWriteTransactionAsync())
        {
            var queued = await v.Db.Contacts
                .Where(c => c.Id == contact.Id && c.Status == ContactStatus.InMenu)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Waiting)
                    .SetProperty(c => c.For, contactFor)
                    .SetProperty(c => c.QueuedAt, c => c.QueuedAt ?? now)
                    .SetProperty(c => c.UpdatedAt, now));
            if (queued == 1)
            {
                queuedChange = v.Events.Record(QueueChangeKinds.ContactQueued, now, contact.Id);
                await v.Db.SaveChangesAsync();
            }
            await transaction.CommitAsync();
        }
        if (queuedChange is not null)
            await v.Events.PublishAsync(queuedChange);

        return EnqueueTwiml(Say(new VoiceResponse(), prompts, prompts.Connecting));
    }

    internal static VoiceResponse EnqueueTwiml(VoiceResponse response) => response.Enqueue(
        name: TwilioQueueName,
        action: Url("/twilio/voice/queue-result"),
        method: HttpMethod.Post,
        waitUrl: Url("/twilio/voice/wait"),
        waitUrlMethod: HttpMethod.Post);

    private static async Task<VoiceResponse> TransferToCrisisLineAsync(Voice v, Contact contact, Prompts prompts, bool announce = true)
    {
        var now = v.Time.UtcNow;
        QueueChange? change = null;
        await using (var transaction = await v.Db.Database.BeginWriteTransactionAsync())
        {
            var moved = await v.Db.Contacts
                .Where(c => c.Id == contact.Id && (c.Status == ContactStatus.InMenu || c.Status == ContactStatus.Waiting))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.TransferredToCrisisLine)
                    .SetProperty(c => c.CrisisTransferredAt, now)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.UpdatedAt, now));
            if (moved == 1)
            {
                change = v.Events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id);
                await v.Db.SaveChangesAsync();
            }
            await transaction.CommitAsync();
        }
        if (change is not null)
            await v.Events.PublishAsync(change);
        v.Log.LogInformation("Call {CallSid} (contact {ContactId}) transferred to the crisis line", contact.CallSid, contact.Id);

        var response = announce ? Say(new VoiceResponse(), prompts, prompts.ConnectingCrisis) : new VoiceResponse();
        response.Dial(number: v.Helpline.Value.CrisisLineNumber, timeout: 60);
        return response;
    }

    private static async Task SwitchToSpanishAsync(Voice v, Contact contact)
    {
        contact.Language = CallerLanguage.Spanish;
        contact.UpdatedAt = v.Time.UtcNow;
        if (contact.CallerId is { } callerId)
        {
            await v.Db.Callers.Where(c => c.Id == callerId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Language, CallerLanguage.Spanish));
        }
        await v.Db.SaveChangesAsync();
    }

    private static async Task AbandonAsync(Voice v, Contact contact, int? queueSeconds)
    {
        var now = v.Time.UtcNow;
        var (ownSeconds, waitedMs) = Waits.Since(contact.QueuedAt, now);
        var waited = queueSeconds ?? ownSeconds;
        QueueChange? change = null;
        await using (var transaction = await v.Db.Database.BeginWriteTransactionAsync())
        {
            // Only a caller still on the line: one who pressed 1 has hung up keeping their place as a callback.
            var abandoned = await v.Db.Contacts
                .Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Channel == ContactChannel.Phone)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Abandoned)
                    .SetProperty(c => c.WaitSeconds, waited)
                    .SetProperty(c => c.WaitMilliseconds, waitedMs)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.UpdatedAt, now));
            if (abandoned == 1)
            {
                change = v.Events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id);
                await v.Db.SaveChangesAsync();
            }
            await transaction.CommitAsync();
        }
        if (change is not null)
        {
            await v.Events.PublishAsync(change);
            v.Log.LogInformation("Contact {ContactId} abandoned after {Seconds} s waiting", contact.Id, waited);
        }
    }

    /// <summary>The caller hung up while the advisor's phone was ringing: abandoned; the advisor is free again.</summary>
    private static async Task CallerLeftWhileConnectingAsync(Voice v, Contact contact)
    {
        var now = v.Time.UtcNow;
        var (waited, waitedMs) = Waits.Since(contact.QueuedAt, now);
        var changes = new List<QueueChange>();
        await using (var transaction = await v.Db.Database.BeginWriteTransactionAsync())
        {
            var abandoned = await v.Db.Contacts
                .Where(c => c.Id == contact.Id && c.Status == ContactStatus.Connecting)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Abandoned)
                    .SetProperty(c => c.WaitSeconds, waited)
                    .SetProperty(c => c.WaitMilliseconds, waitedMs)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.UpdatedAt, now));
            if (abandoned == 0)
                return;
            changes.Add(v.Events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id));
            if (contact.AdvisorId is { } advisorId)
            {
                await Presences.SetAsync(v.Db, v.Time, advisorId, Presence.Available, reason: null, now);
                changes.Add(v.Events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId));
            }
            await v.Db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await v.Events.PublishAsync([.. changes]);
        if (contact.AdvisorCallSid is { } advisorCall)
        {
            try
            {
                await v.Request.HttpContext.RequestServices.GetRequiredService<Telephony.ITelephonyGateway>().HangUpAsync(advisorCall);
            }
            catch (Telephony.TelephonyException)
            {
                // The advisor's phone stops ringing on its own; nothing else depends on it.
            }
        }
    }

    /// <summary>Either side hung up a connected call: talk time is recorded and the advisor goes to wrap-up.</summary>
    internal static async Task ConversationEndedAsync(Voice v, long contactId)
    {
        var now = v.Time.UtcNow;
        var contact = await v.Db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
        var talk = contact.AnsweredAt is { } answered ? (int)Math.Max(0, (now - answered).TotalSeconds) : 0;
        var changes = new List<QueueChange>();
        await using (var transaction = await v.Db.Database.BeginWriteTransactionAsync())
        {
            var ended = await v.Db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.InProgress)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.WrapUp)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.TalkSeconds, talk)
                    .SetProperty(c => c.UpdatedAt, now));
            if (ended == 0)
                return;
            changes.Add(v.Events.Record(QueueChangeKinds.ContactWrapUp, now, contactId));
            if (contact.AdvisorId is { } advisorId)
            {
                await Presences.SetAsync(v.Db, v.Time, advisorId, Presence.WrapUp, reason: null, now);
                changes.Add(v.Events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId));
            }
            await v.Db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await v.Events.PublishAsync([.. changes]);
    }

    private static async Task<QueueChange> RecordSavedAsync(Voice v, string kind, long contactId)
    {
        var change = v.Events.Record(kind, v.Time.UtcNow, contactId);
        await v.Db.SaveChangesAsync();
        return change;
    }

    /// <summary>About how many minutes until an advisor answers: rounds of the signed-in advisors, times the recent handle time.</summary>
    private static async Task<int> ExpectedWaitMinutesAsync(Voice v, int position, int advisorsOn, DateTime now)
    {
        var since = now.AddDays(-7);
        var handle = await v.Db.Contacts
            .Where(c => c.Status == ContactStatus.Completed && c.EndedAt >= since && c.TalkSeconds != null)
            .AverageAsync(c => (double?)(c.TalkSeconds!.Value + (c.WrapUpSeconds ?? 0)))
            ?? v.Queue.Value.DefaultHandleSeconds;
        var rounds = (position + advisorsOn - 1) / advisorsOn;
        return Math.Max(1, (int)Math.Round(rounds * handle / 60));
    }

    private static VoiceResponse Greeting(Voice v, Prompts prompts, int attempt)
    {
        var menuUrl = Url($"/twilio/voice/menu?attempt={attempt}");
        var gather = Gather(menuUrl, timeoutSeconds: 6);
        if (attempt == 1)
        {
            // Safety before anything else: the disclosure takes about 15 seconds, and someone in danger must not wait for it.
            Say(gather, prompts, prompts.CrisisNotice);
            Say(gather, prompts, string.Format(prompts.Welcome, v.Helpline.Value.Name));
            Say(gather, prompts, prompts == Prompts.Spanish ? v.Disclosure.Value.Spanish : v.Disclosure.Value.English);
        }
        else
        {
            Say(gather, prompts, prompts.NotUnderstood);
        }
        Say(gather, prompts, prompts.Menu);
        if (prompts == Prompts.English)
            gather.Say(Prompts.SpanishOption, language: Twilio.TwiML.Voice.Say.LanguageEnum.EsMx);

        var response = new VoiceResponse();
        response.Append(gather);
        // No key pressed: Twilio carries on here, and the menu handler repeats once, then defaults.
        response.Redirect(menuUrl, method: HttpMethod.Post);
        return response;
    }

    /// <summary>
    /// Closed (or the queue is unavailable): the crisis notice first, then the disclosure, when we open
    /// again, then a voicemail that becomes a callback, unless the caller ID is withheld.
    /// </summary>
    private static VoiceResponse AfterHours(Voice v, Prompts prompts, bool canCallBack, bool offerSpanish, bool repeat = false, bool queueUnavailable = false)
    {
        var gather = Gather(Url("/twilio/voice/after-hours"), timeoutSeconds: 2);
        Say(gather, prompts, prompts.CrisisNotice);
        if (queueUnavailable)
        {
            Say(gather, prompts, prompts.QueueUnavailable);
        }
        else if (!repeat)
        {
            Say(gather, prompts, string.Format(prompts.Welcome, v.Helpline.Value.Name));
            Say(gather, prompts, prompts == Prompts.Spanish ? v.Disclosure.Value.Spanish : v.Disclosure.Value.English);
            Say(gather, prompts, prompts.ClosedNow);
            var now = v.Time.UtcNow;
            Say(gather, prompts, v.Hours.NextOpening(now) is { } opening
                ? string.Format(prompts.OpensAgain, prompts.When(v.Time.ToLocal(now), v.Time.ToLocal(opening)))
                : prompts.NoOpeningKnown);
        }
        if (offerSpanish)
            gather.Say(Prompts.SpanishOption, language: Twilio.TwiML.Voice.Say.LanguageEnum.EsMx);
        if (!canCallBack)
            Say(gather, prompts, prompts.WithheldNoCallback);

        var response = new VoiceResponse();
        response.Append(gather);
        if (!canCallBack)
            return Say(response, prompts, prompts.Goodbye).Hangup();

        Say(response, prompts, prompts.VoicemailOffer);
        response.Record(
            action: Url("/twilio/voice/voicemail"),
            method: HttpMethod.Post,
            timeout: 5,
            finishOnKey: "#",
            maxLength: 180,
            playBeep: true);
        // Twilio goes on here when nothing was recorded.
        return Say(response, prompts, prompts.NoVoicemailLeft).Hangup();
    }

    private static Gather Gather(Uri action, int timeoutSeconds) => new(
        input: [Twilio.TwiML.Voice.Gather.InputEnum.Dtmf],
        action: action,
        method: HttpMethod.Post,
        numDigits: 1,
        timeout: timeoutSeconds,
        actionOnEmptyResult: false);

    private static VoiceResponse Say(VoiceResponse response, Prompts prompts, string text) => response.Say(text, language: prompts.Language);

    private static Gather Say(Gather gather, Prompts prompts, string text) => gather.Say(text, language: prompts.Language);

    private static Uri Url(string relative) => new(relative, UriKind.Relative);

    private static IResult Twiml(VoiceResponse response) => Results.Content(response.ToString(), "application/xml");
}
