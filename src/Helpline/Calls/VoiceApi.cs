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
using static Helpline.Calls.VoiceMenu;
using Task = System.Threading.Tasks.Task;

namespace Helpline.Calls;

/// <summary>
/// Twilio's voice webhooks: the inbound call, its menu, after-hours voicemail, the wait loop and the
/// status callbacks. Each reads the caller's key or the call's progress, moves the contact through
/// <see cref="ContactTransitions"/>, and answers with the script of <see cref="VoiceMenu"/>. Every
/// route here is guarded by <see cref="Telephony.TwilioSignatureMiddleware"/> and reads its webhook
/// through <see cref="VoiceWebhooks.ReadsVoiceWebhook"/>.
/// </summary>
public static class VoiceApi
{
    internal static IEndpointRouteBuilder MapVoiceWebhooks(this IEndpointRouteBuilder app)
    {
        // Twilio signs its requests instead of signing in; antiforgery has no place here.
        var voice = app.MapGroup("/twilio/voice").AllowAnonymous().DisableAntiforgery().ReadsVoiceWebhook();
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
        ContactTransitions Transitions,
        CallbackDispatcher Callbacks,
        InboundCallWriter Writer,
        ILogger<Voice> Log)
    {
        /// <summary>The webhook's parameters, read once for the route group.</summary>
        public VoiceWebhook Call => VoiceWebhook.Of(Request.HttpContext);

        public VoiceMenu Script => new(Time, Hours, Helpline.Value, Disclosure.Value);

        public Task<Contact?> ContactAsync() => Db.Contacts.SingleOrDefaultAsync(c => c.CallSid == Call.CallSid);

        public Task<Contact?> ContactReadOnlyAsync() => Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == Call.CallSid);
    }

    internal static async Task<IResult> Incoming([AsParameters] Voice v)
    {
        var (contact, blockChecked) = await PhoneIntake.FindOrCreateContactAsync(v, v.Call);
        var now = v.Time.UtcNow;
        if (contact.Status == ContactStatus.Blocked || (!blockChecked && await PhoneIntake.IsBlockedAsync(v, contact, v.Call, now)))
            return Twiml(Blocked());
        if (!v.Hours.IsOpen(now))
            return Twiml(v.Script.AfterHours(Prompts.English, canCallBack: !contact.CallerIdWithheld, offerSpanish: true));
        return Twiml(v.Script.Greeting(Prompts.English, attempt: 1));
    }

    internal static Task<IResult> Menu([AsParameters] Voice v, int attempt = 1) => KeyPressedAsync(v,
        inSpanish: _ => v.Script.Greeting(Prompts.Spanish, attempt: 1),
        otherKey: (contact, prompts) => v.Call.Digits switch
        {
            "1" => EnqueueAsync(v, contact, ContactFor.Self, prompts),
            "2" => EnqueueAsync(v, contact, ContactFor.LovedOne, prompts),
            // No digit or a wrong one: say the menu once more, then take the caller as calling for themselves.
            _ when attempt < 2 => Task.FromResult(v.Script.Greeting(prompts, attempt: 2)),
            _ => EnqueueAsync(v, contact, ContactFor.Self, prompts),
        });

    internal static Task<IResult> AfterHoursKey([AsParameters] Voice v) => KeyPressedAsync(v,
        inSpanish: contact => v.Script.AfterHours(Prompts.Spanish, canCallBack: !contact.CallerIdWithheld, offerSpanish: false),
        otherKey: (contact, prompts) => Task.FromResult(v.Script.AfterHours(prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, repeat: true)));

    /// <summary>
    /// A key pressed at a menu. Two keys mean the same at every menu: 9, the crisis line; 3 (while
    /// the call is in English), Spanish, after which the menu is said again in Spanish. Any other
    /// key is the menu's own.
    /// </summary>
    private static async Task<IResult> KeyPressedAsync(Voice v, Func<Contact, VoiceResponse> inSpanish, Func<Contact, Prompts, Task<VoiceResponse>> otherKey)
    {
        if (await v.ContactAsync() is not { } contact)
            return Twiml(StartAgain());
        var prompts = Prompts.For(contact.Language);
        if (v.Call.Digits == "9")
            return Twiml(await TransferToCrisisLineAsync(v, contact, prompts));
        if (v.Call.Digits == "3" && contact.Language == CallerLanguage.English)
        {
            await SwitchToSpanishAsync(v, contact);
            return Twiml(inSpanish(contact));
        }
        return Twiml(await otherKey(contact, prompts));
    }

    internal static async Task<IResult> Voicemail([AsParameters] Voice v)
    {
        var call = v.Call;
        var contact = await v.Db.Contacts.Include(c => c.Caller).SingleOrDefaultAsync(c => c.CallSid == call.CallSid);
        if (contact is null)
            return Twiml(new VoiceResponse().Hangup());

        var prompts = Prompts.For(contact.Language);
        if (call.RecordingUrl is null || call.RecordingDuration is not > 0 || contact.Caller is null)
        {
            // Nothing recorded (or nobody to call back): end the call and leave no promise behind.
            await v.Transitions.EndInMenuAsync(contact.Id);
            return Twiml(SayAndHangUp(prompts, prompts.NoVoicemailLeft));
        }

        if (contact.Status == ContactStatus.InMenu)
        {
            var callback = await v.Transitions.LeaveVoicemailAsync(contact, contact.Caller, call.RecordingUrl, call.RecordingSid, call.RecordingDuration.Value);
            v.Callbacks.Wake();
            v.Log.LogInformation("Voicemail on call {CallSid} became contact {ContactId} with a callback due at {DueAt:o}", call.CallSid, contact.Id, callback.DueAt);
        }
        return Twiml(SayAndHangUp(prompts, prompts.VoicemailThanks));
    }

    /// <summary>
    /// Twilio's wait loop while the caller is in its queue: the place in line as *our* queue orders
    /// it and the expected wait, with 1 for a callback (keeping the place) and 9 for the crisis line,
    /// listened for the whole interval. Past the longest wait, or with nobody signed in, the caller
    /// is offered a voicemail instead: never an endless loop.
    /// </summary>
    internal static async Task<IResult> Wait([AsParameters] Voice v)
    {
        var contact = await v.ContactReadOnlyAsync();
        if (contact is not { Status: ContactStatus.Waiting, QueuedAt: { } queuedAt, QueueExit: QueueExit.None, Channel: ContactChannel.Phone })
            return Twiml(new VoiceResponse().Pause(length: 5));

        var now = v.Time.UtcNow;
        var prompts = Prompts.For(contact.Language);
        var advisorsOn = await v.Db.Users.CountAsync(u => u.Presence != Presence.Offline);
        if (advisorsOn == 0 || (now - queuedAt).TotalSeconds >= v.Queue.Value.LongestWaitSeconds)
        {
            var leave = Say(new VoiceResponse(), prompts, prompts.QueueUnavailable);
            return Twiml(await LetGoToVoicemailAsync(v, contact.Id, now) ? leave.Leave() : leave.Pause(length: 5));
        }

        var place = await PlaceInLineAsync(v, contact, queuedAt);
        var minutes = await ExpectedWaitMinutesAsync(v, place, advisorsOn, now);
        return Twiml(WaitRound(prompts, place, minutes, offerCallback: !contact.CallerIdWithheld, v.Queue.Value.AnnouncementIntervalSeconds));
    }

    /// <summary>A key pressed while waiting: 1 leaves Twilio's queue keeping the place in ours, 9 the crisis line.</summary>
    internal static async Task<IResult> WaitKey([AsParameters] Voice v)
    {
        var contact = await v.ContactReadOnlyAsync();
        if (contact is not { Status: ContactStatus.Waiting })
            return Twiml(new VoiceResponse().Pause(length: 1));

        var prompts = Prompts.For(contact.Language);
        if (v.Call.Digits == "1" && contact is { CallerIdWithheld: false, Channel: ContactChannel.Phone, CallerId: { } callerId })
        {
            if (!await KeepPlaceAsCallbackAsync(v, contact, callerId))
                return Twiml(new VoiceResponse().Pause(length: 1));
            return Twiml(new VoiceResponse().Leave());
        }
        if (v.Call.Digits == "9")
        {
            await LetGoToCrisisLineAsync(v, contact.Id);
            return Twiml(Say(new VoiceResponse(), prompts, prompts.ConnectingCrisis).Leave());
        }
        return Twiml(new VoiceResponse().Redirect(Url("/twilio/voice/wait"), method: Twilio.Http.HttpMethod.Post));
    }

    /// <summary>The Enqueue action: how the caller's time in Twilio's queue ended.</summary>
    internal static async Task<IResult> QueueResult([AsParameters] Voice v)
    {
        if (await v.ContactAsync() is not { } contact)
            return Twiml(new VoiceResponse());

        var prompts = Prompts.For(contact.Language);
        switch (v.Call.QueueResult)
        {
            case "hangup":
                await AbandonAsync(v, contact, v.Call.QueueTime);
                return Twiml(new VoiceResponse());
            case "leave" when contact.Channel == ContactChannel.Callback:
                return Twiml(SayAndHangUp(prompts, contact.Status == ContactStatus.AwaitingCallback ? prompts.CallbackInYourHours : prompts.CallbackThanks));
            case "leave" when contact.QueueExit == QueueExit.CrisisLine:
                return Twiml(await TransferToCrisisLineAsync(v, contact, prompts, announce: false));
            case "leave" when contact.QueueExit == QueueExit.Voicemail:
                return Twiml(await OfferVoicemailAsync(v, contact, prompts));
            case "error" or "system-error" or "queue-full":
                // Never an endless loop: the caller is offered a voicemail (or told, if we cannot call back).
                v.Log.LogWarning("Twilio could not hold call {CallSid} in the queue: {QueueResult}", v.Call.CallSid, v.Call.QueueResult);
                return Twiml(await OfferVoicemailAsync(v, contact, prompts));
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
        var call = v.Call;
        var contact = await v.ContactAsync();
        if (contact is null || !await IsFreshAsync(v, contact))
            return Results.NoContent();

        var ended = call.CallStatus is "completed" or "busy" or "failed" or "no-answer" or "canceled";
        if (ended && contact.Status == ContactStatus.Waiting && contact.QueueExit == QueueExit.None && contact.Channel == ContactChannel.Phone)
            await AbandonAsync(v, contact, queueSeconds: null);
        else if (ended && contact.Status == ContactStatus.Connecting && contact.CallSid == call.CallSid && contact.Channel == ContactChannel.Phone)
            await CallerLeftWhileConnectingAsync(v, contact);
        else if (ended && contact.Status == ContactStatus.InProgress)
            await v.Transitions.WrapUpAsync(contact.Id);
        else if (ended && contact.Status == ContactStatus.InMenu)
            await v.Transitions.EndInMenuAsync(contact.Id);
        return Results.NoContent();
    }

    /// <summary>A status callback older than one already applied (or the same one again) changes nothing.</summary>
    private static async Task<bool> IsFreshAsync(Voice v, Contact contact)
    {
        var sequence = v.Call.SequenceNumber ?? contact.LastCallSequence + 1;
        return await v.Db.Contacts.Where(c => c.Id == contact.Id && c.LastCallSequence < sequence)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastCallSequence, sequence)) == 1;
    }

    private static async Task<VoiceResponse> EnqueueAsync(Voice v, Contact contact, ContactFor contactFor, Prompts prompts)
    {
        if (!await v.Db.Users.AnyAsync(u => u.Presence != Presence.Offline))
        {
            // Nobody is signed in to answer: no endless wait, a voicemail (or a goodbye) instead.
            await v.Transitions.NoteWhoItIsForAsync(contact.Id, contactFor);
            return v.Script.AfterHours(prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, queueUnavailable: true);
        }
        await v.Transitions.EnqueueAsync(contact.Id, contactFor);
        return Enqueue(Say(new VoiceResponse(), prompts, prompts.Connecting));
    }

    private static async Task<VoiceResponse> TransferToCrisisLineAsync(Voice v, Contact contact, Prompts prompts, bool announce = true)
    {
        await v.Transitions.TransferToCrisisLineAsync(contact.Id);
        v.Log.LogInformation("Call {CallSid} (contact {ContactId}) transferred to the crisis line", contact.CallSid, contact.Id);
        return v.Script.CrisisLine(prompts, announce);
    }

    /// <summary>Out of Twilio's queue and back in the menu: a voicemail that becomes a callback (or a goodbye).</summary>
    private static async Task<VoiceResponse> OfferVoicemailAsync(Voice v, Contact contact, Prompts prompts)
    {
        await v.Transitions.BackToMenuAsync(contact.Id);
        return v.Script.AfterHours(prompts, canCallBack: !contact.CallerIdWithheld, offerSpanish: false, queueUnavailable: true);
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

    /// <summary>Past the longest wait or with nobody signed in: Twilio lets the caller go, to leave a voicemail. False if they already left.</summary>
    private static async Task<bool> LetGoToVoicemailAsync(Voice v, long contactId, DateTime now) =>
        await v.Db.Contacts
            .Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.QueueExit, QueueExit.Voicemail).SetProperty(c => c.UpdatedAt, now)) == 1;

    /// <summary>9 while waiting: Twilio lets the caller go, and the queue result puts them through to the crisis line.</summary>
    private static Task LetGoToCrisisLineAsync(Voice v, long contactId)
    {
        var now = v.Time.UtcNow;
        return v.Db.Contacts
            .Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Channel == ContactChannel.Phone)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.QueueExit, QueueExit.CrisisLine).SetProperty(c => c.UpdatedAt, now));
    }

    /// <summary>
    /// Press 1 while waiting: the caller hangs up and keeps their place (see
    /// <see cref="ContactTransitions.KeepPlaceAsCallbackAsync"/>). Returns false if the caller had already left the queue.
    /// </summary>
    private static async Task<bool> KeepPlaceAsCallbackAsync(Voice v, Contact contact, long callerId)
    {
        if (await v.Transitions.KeepPlaceAsCallbackAsync(contact.Id, callerId) is not { } callback)
            return false;
        if (callback.Status == CallbackStatus.Due)
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

    private static async Task AbandonAsync(Voice v, Contact contact, int? queueSeconds)
    {
        if (await v.Transitions.AbandonAsync(contact, queueSeconds))
            v.Log.LogInformation("Contact {ContactId} abandoned after {Seconds} s waiting", contact.Id, queueSeconds ?? Waits.Since(contact.QueuedAt, v.Time.UtcNow).Seconds);
    }

    /// <summary>The caller hung up while the advisor's phone was ringing: abandoned; the advisor's phone stops ringing.</summary>
    private static async Task CallerLeftWhileConnectingAsync(Voice v, Contact contact)
    {
        if (!await v.Transitions.AbandonWhileConnectingAsync(contact) || contact.AdvisorCallSid is not { } advisorCall)
            return;
        try
        {
            await v.Request.HttpContext.RequestServices.GetRequiredService<Telephony.ITelephonyGateway>().HangUpAsync(advisorCall);
        }
        catch (Telephony.TelephonyException)
        {
            // The advisor's phone stops ringing on its own; nothing else depends on it.
        }
    }

    /// <summary>The caller's place in line as our queue orders it: priority, then the time they joined, then the id.</summary>
    private static async Task<int> PlaceInLineAsync(Voice v, Contact contact, DateTime queuedAt) =>
        1 + await v.Db.Contacts.CountAsync(c => c.Status == ContactStatus.Waiting && c.Id != contact.Id &&
            (c.Priority > contact.Priority ||
             (c.Priority == contact.Priority && (c.QueuedAt < queuedAt || (c.QueuedAt == queuedAt && c.Id < contact.Id)))));

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
}
