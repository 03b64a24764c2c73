using Helpline.Data;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Calls;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using HttpMethod = Twilio.Http.HttpMethod;
using Task = System.Threading.Tasks.Task;

namespace Helpline.Bridge;

/// <summary>
/// The conference that joins a caller and an advisor. The caller's live call is redirected into
/// it, the advisor's phone is called into it; a missed advisor call puts the caller back at their
/// place in line. The conference (not a direct dial) lets a transfer or a listener join later.
/// </summary>
public static class BridgeApi
{
    /// <summary>The name of the conference that joins a contact's caller, advisor and any transfer.</summary>
    public static string ConferenceName(long contactId) => $"contact-{contactId}";

    internal static IEndpointRouteBuilder MapBridgeWebhooks(this IEndpointRouteBuilder app)
    {
        var bridge = app.MapGroup(BridgeUrls.Root).AllowAnonymous().DisableAntiforgery().ReadsVoiceWebhook();
        bridge.MapPost("/caller", Caller);
        bridge.MapPost("/advisor", Advisor);
        bridge.MapPost("/advisor-status", AdvisorStatus);
        bridge.MapPost("/callee-status", CalleeStatus);
        bridge.MapPost("/requeue", Requeue);
        bridge.MapPost("/transfer", Transfer);
        bridge.MapPost("/transfer-status", TransferStatus);
        return app;
    }

    /// <summary>
    /// TwiML for the caller's call: their live call, redirected here when an advisor takes it, or the
    /// call placed to them for a callback once answered. On a callback, Twilio has told a person from
    /// an answering machine first: a person joins the advisor, a machine never does.
    /// </summary>
    internal static async Task<IResult> Caller([AsParameters] VoiceApi.Voice v, long contact, CallbackDialling dialling)
    {
        var call = v.Call;
        var row = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact && (c.CallSid == call.CallSid || c.CalleeCallSid == call.CallSid))
            ?? await ClaimLegAsync(v.Db, contact, call.CallSid, Leg.Callee);
        if (row is null)
            return Twiml(new VoiceResponse().Hangup());
        if (row.CalleeCallSid == call.CallSid)
        {
            if (row.Status != ContactStatus.Connecting)
                return Twiml(new VoiceResponse().Hangup());
            if (call.AnsweredByMachine)
            {
                var message = await dialling.MachineAnsweredAsync(row, call.AtMessageEnd);
                var response = new VoiceResponse();
                if (message is not null)
                    response.Say(message, language: Prompts.For(row.Language).Language);
                return Twiml(response.Hangup());
            }
            await v.Transitions.AnswerAsync(row);
        }
        return Twiml(Conference(contact, startOnEnter: false, endOnExit: true));
    }

    /// <summary>TwiML for the advisor's phone once answered: a whisper, then the caller's conference.</summary>
    internal static async Task<IResult> Advisor([AsParameters] VoiceApi.Voice v, long contact)
    {
        var call = v.Call;
        var row = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact && c.AdvisorCallSid == call.CallSid)
            ?? await ClaimLegAsync(v.Db, contact, call.CallSid, Leg.Advisor);
        if (row is not { Status: ContactStatus.Connecting or ContactStatus.InProgress })
            return Twiml(new VoiceResponse().Say("This call has ended.", language: Say.LanguageEnum.EnUs).Hangup());
        var response = new VoiceResponse().Say(Prompts.English.AdvisorWhisper, language: Say.LanguageEnum.EnUs);
        // The advisor may leave a warm transfer without ending the caller's call.
        return Twiml(Conference(contact, startOnEnter: true, endOnExit: false, response));
    }

    /// <summary>
    /// Progress of the advisor's leg: answered connects the contact; no answer, busy or failed puts
    /// the caller back at their place and the advisor on break with "missed a call"; a hang-up ends it.
    /// </summary>
    internal static async Task<IResult> AdvisorStatus([AsParameters] VoiceApi.Voice v, long contact, ITelephonyGateway gateway, PublicUrls urls, CallbackDialling dialling)
    {
        var call = v.Call;
        var row = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact && c.AdvisorCallSid == call.CallSid)
            ?? await ClaimLegAsync(v.Db, contact, call.CallSid, Leg.Advisor);
        if (row is null)
            return Results.NoContent();

        switch (call.CallStatus)
        {
            case "in-progress" or "answered" when row.Status == ContactStatus.Connecting && row.Channel == ContactChannel.Phone:
                await v.Transitions.AnswerAsync(row);
                break;
            case "in-progress" or "answered" when row.Status == ContactStatus.Connecting && row.CalleeCallSid is null:
                await RingCallerBackAsync(row, dialling);
                break;
            case "no-answer" or "busy" or "failed" or "canceled" when row.Status == ContactStatus.Connecting && row.AdvisorId is { } advisorId:
                await AdvisorMissedAsync(v, row, advisorId, gateway, urls);
                break;
            case "completed" when row.Status == ContactStatus.InProgress:
                await AdvisorHungUpAsync(v, row, gateway);
                break;
        }
        return Results.NoContent();
    }

    /// <summary>A callback: the advisor is on the line; now (checks passing) the caller is rung.</summary>
    private static async Task RingCallerBackAsync(Contact row, CallbackDialling dialling)
    {
        bool dialled;
        try
        {
            dialled = await dialling.CallCallerAsync(row);
        }
        catch (TelephonyException)
        {
            dialled = false;
        }
        if (!dialled)
            await dialling.AttemptFailedAsync(row, outcome: null, "could not be called now");
    }

    /// <summary>The advisor did not answer: the caller goes back to their place in line, the advisor on break with "missed a call".</summary>
    private static async Task AdvisorMissedAsync(VoiceApi.Voice v, Contact row, string advisorId, ITelephonyGateway gateway, PublicUrls urls)
    {
        if (!await v.Transitions.ReleaseAsync(row.Id, advisorId, Presence.Break, "missed a call") || row.Channel != ContactChannel.Phone || row.CallSid is not { } callerCall)
            return;
        v.Log.LogInformation("Advisor {AdvisorId} missed contact {ContactId}; back at its place in line", advisorId, row.Id);
        try
        {
            await gateway.RedirectCallAsync(callerCall, urls.For(BridgeUrls.Requeue(row.Id)));
        }
        catch (TelephonyException)
        {
            // The caller stays in the conference's hold music until they hang up; their place is kept.
        }
    }

    /// <summary>The advisor hung up a conversation: wrap-up starts, and the caller is hung up unless a transfer keeps them company.</summary>
    private static async Task AdvisorHungUpAsync(VoiceApi.Voice v, Contact row, ITelephonyGateway gateway)
    {
        await v.Transitions.WrapUpAsync(row.Id);
        // Without a transfer in the conference, the caller would be left alone with hold music.
        if (row.TransferCallSid is null && !await v.Db.Referrals.AnyAsync(r => r.ContactId == row.Id && r.TransferCallSid != null)
            && (row.CalleeCallSid ?? (row.Channel == ContactChannel.Phone ? row.CallSid : null)) is { } caller)
        {
            try
            {
                await gateway.HangUpAsync(caller);
            }
            catch (TelephonyException)
            {
                // The caller has most likely hung up already.
            }
        }
    }

    /// <summary>
    /// Progress of the caller's leg of a callback: no answer (tried again later, or missed), or the end
    /// of the conversation. "Answered" waits for the TwiML request, which says whether a person answered.
    /// </summary>
    internal static async Task<IResult> CalleeStatus([AsParameters] VoiceApi.Voice v, long contact, CallbackDialling dialling)
    {
        var call = v.Call;
        var row = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact && c.CalleeCallSid == call.CallSid)
            ?? await ClaimLegAsync(v.Db, contact, call.CallSid, Leg.Callee);
        if (row is null)
            return Results.NoContent();
        switch (call.CallStatus)
        {
            case "no-answer" or "busy" or "failed" or "canceled" when row.Status == ContactStatus.Connecting:
                await dialling.AttemptFailedAsync(row, CallbackOutcome.NoAnswer, call.CallStatus);
                break;
            case "completed" when row.Status == ContactStatus.InProgress:
                await v.Transitions.WrapUpAsync(row.Id);
                break;
        }
        return Results.NoContent();
    }

    /// <summary>The caller goes back into Twilio's queue; in ours they never left their place.</summary>
    internal static async Task<IResult> Requeue([AsParameters] VoiceApi.Voice v, long contact)
    {
        var call = v.Call;
        var row = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact && c.CallSid == call.CallSid);
        if (row is not { Status: ContactStatus.Waiting })
            return Twiml(new VoiceResponse().Hangup());
        var prompts = Prompts.For(row.Language);
        return Twiml(VoiceMenu.Enqueue(new VoiceResponse().Say(prompts.AdvisorMissed, language: prompts.Language)));
    }

    /// <summary>
    /// A warm transfer: calls a third party (the crisis line, or a treatment facility's intake line) into
    /// the caller's conference; the advisor stays until they hang up. Returns the new call's CallSid.
    /// </summary>
    /// <exception cref="TelephonyException">The phone network refused the call.</exception>
    public static Task<string> DialIntoConferenceAsync(ITelephonyGateway gateway, PublicUrls urls, string hotlineNumber, long contactId, string number) =>
        gateway.PlaceCallAsync(new OutboundCall(
            To: number,
            From: hotlineNumber,
            TwimlUrl: urls.For(BridgeUrls.Transfer(contactId)),
            StatusCallbackUrl: urls.For(BridgeUrls.TransferStatus(contactId)),
            RingSeconds: 60));

    /// <summary>TwiML for the third party's leg of a warm transfer (crisis line or facility): into the caller's conference.</summary>
    internal static async Task<IResult> Transfer([AsParameters] VoiceApi.Voice v, long contact)
    {
        var call = v.Call;
        // Twilio signed this address, which names the contact the leg was placed for. A line that answers
        // at once (a recorded greeting) asks before the leg's SID is recorded: the caller still on the
        // line is enough to join them.
        var row = await v.Db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact
            && (c.TransferCallSid == call.CallSid || v.Db.Referrals.Any(r => r.ContactId == c.Id && r.TransferCallSid == call.CallSid)
                || c.Status == ContactStatus.InProgress));
        if (row is null)
            return Twiml(new VoiceResponse().Hangup());
        return Twiml(Conference(contact, startOnEnter: true, endOnExit: false));
    }

    /// <summary>Progress of the transfer leg; a transfer nobody answered is logged for the advisor still on the call.</summary>
    internal static IResult TransferStatus([AsParameters] VoiceApi.Voice v, long contact)
    {
        if (v.Call.CallStatus is "no-answer" or "busy" or "failed")
            v.Log.LogWarning("The transfer leg of contact {ContactId} was not answered: {Status}", contact, v.Call.CallStatus);
        return Results.NoContent();
    }

    private enum Leg { Advisor, Callee }

    /// <summary>
    /// A leg's SID is recorded when Twilio's REST answer comes back, and Twilio can ask for the leg's
    /// TwiML, or report it answered, before that: a phone set to answer at once does. The address
    /// Twilio signed names the contact; if that contact is still waiting for this kind of leg, the
    /// call is that leg and its SID is recorded here (one conditional update decides), rather than
    /// the advisor or caller being hung up on and the contact left connecting.
    /// </summary>
    private static async Task<Contact?> ClaimLegAsync(Data.HelplineDb db, long contact, string callSid, Leg leg)
    {
        var claimed = leg == Leg.Advisor
            ? await db.Contacts.Where(c => c.Id == contact && c.Status == ContactStatus.Connecting && c.AdvisorId != null && c.AdvisorCallSid == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.AdvisorCallSid, callSid))
            // The caller of a callback is rung once the advisor is on the line, never for a live call.
            : await db.Contacts.Where(c => c.Id == contact && c.Status == ContactStatus.Connecting && c.AdvisorCallSid != null && c.CalleeCallSid == null
                    && c.CallSid != callSid && db.Callbacks.Any(b => b.ContactId == c.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.CalleeCallSid, callSid));
        return claimed == 1 ? await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contact) : null;
    }

    private static VoiceResponse Conference(long contactId, bool startOnEnter, bool endOnExit, VoiceResponse? response = null)
    {
        var dial = new Dial();
        dial.Conference(
            ConferenceName(contactId),
            startConferenceOnEnter: startOnEnter,
            endConferenceOnExit: endOnExit,
            beep: Twilio.TwiML.Voice.Conference.BeepEnum.False);
        response ??= new VoiceResponse();
        response.Append(dial);
        return response;
    }

    private static IResult Twiml(VoiceResponse response) => Results.Content(response.ToString(), "application/xml");
}
