using Helpline.Disclosure;
using Helpline.Infrastructure;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using HttpMethod = Twilio.Http.HttpMethod;

namespace Helpline.Calls;

/// <summary>
/// The phone menu's script: what a caller hears and which keys are gathered, as TwiML, from the
/// greeting to the wait loop and the voicemail. What is said is in <see cref="Prompts"/>; where each
/// key leads, and what it changes, is in <see cref="VoiceApi"/>.
/// </summary>
internal sealed class VoiceMenu(HelplineTime time, OpeningHours hours, HelplineOptions helpline, DisclosureOptions disclosure)
{
    /// <summary>The one Twilio queue that holds waiting callers; the order that matters is ours, in the database.</summary>
    internal const string TwilioQueueName = "helpline";

    /// <summary>
    /// The crisis notice, welcome and disclosure on the first attempt (or "not understood" on the
    /// second), then the menu. With no key pressed, Twilio carries on to the menu handler, which
    /// repeats once, then defaults.
    /// </summary>
    public VoiceResponse Greeting(Prompts prompts, int attempt)
    {
        var menuUrl = Url($"/twilio/voice/menu?attempt={attempt}");
        var gather = Gather(menuUrl, timeoutSeconds: 6);
        if (attempt == 1)
        {
            // Safety before anything else: the disclosure takes about 15 seconds, and someone in danger must not wait for it.
            Say(gather, prompts, prompts.CrisisNotice);
            Say(gather, prompts, string.Format(prompts.Welcome, helpline.Name));
            Say(gather, prompts, DisclosureIn(prompts));
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
        response.Redirect(menuUrl, method: HttpMethod.Post);
        return response;
    }

    /// <summary>
    /// Closed (or the queue is unavailable): the crisis notice first, then the disclosure, when we open
    /// again, then a voicemail that becomes a callback, unless the caller ID is withheld.
    /// </summary>
    public VoiceResponse AfterHours(Prompts prompts, bool canCallBack, bool offerSpanish, bool repeat = false, bool queueUnavailable = false)
    {
        var gather = Gather(Url("/twilio/voice/after-hours"), timeoutSeconds: 2);
        Say(gather, prompts, prompts.CrisisNotice);
        if (queueUnavailable)
            Say(gather, prompts, prompts.QueueUnavailable);
        else if (!repeat)
            SayClosed(gather, prompts);
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

    /// <summary>
    /// One round of the wait loop: the place in line and the expected wait, the callback offer (1) for
    /// a caller we can call back, and the crisis line (9), listened for the whole interval.
    /// </summary>
    public static VoiceResponse WaitRound(Prompts prompts, int place, int minutes, bool offerCallback, int intervalSeconds)
    {
        var gather = Gather(Url("/twilio/voice/wait-key"), timeoutSeconds: 1);
        Say(gather, prompts, string.Format(prompts.PlaceInLine, place));
        Say(gather, prompts, string.Format(minutes == 1 ? prompts.ExpectedWaitOneMinute : prompts.ExpectedWait, minutes));
        if (offerCallback)
            Say(gather, prompts, prompts.CallbackOffer);
        Say(gather, prompts, prompts.CrisisWhileWaiting);
        gather.Pause(length: intervalSeconds);
        var response = new VoiceResponse();
        response.Append(gather);
        return response;
    }

    /// <summary>The caller is put through to the crisis line, told so unless they were already.</summary>
    public VoiceResponse CrisisLine(Prompts prompts, bool announce)
    {
        var response = announce ? Say(new VoiceResponse(), prompts, prompts.ConnectingCrisis) : new VoiceResponse();
        response.Dial(number: helpline.CrisisLineNumber, timeout: 60);
        return response;
    }

    /// <summary>A blocked number is told so in both languages, and the call ends.</summary>
    public static VoiceResponse Blocked() =>
        Say(Say(new VoiceResponse(), Prompts.English, Prompts.English.Blocked), Prompts.Spanish, Prompts.Spanish.Blocked).Hangup();

    /// <summary>Into Twilio's queue, where the wait loop plays and our queue decides who is next.</summary>
    public static VoiceResponse Enqueue(VoiceResponse response) => response.Enqueue(
        name: TwilioQueueName,
        action: Url("/twilio/voice/queue-result"),
        method: HttpMethod.Post,
        waitUrl: Url("/twilio/voice/wait"),
        waitUrlMethod: HttpMethod.Post);

    /// <summary>Something said, then the call ends.</summary>
    public static VoiceResponse SayAndHangUp(Prompts prompts, string text) => Say(new VoiceResponse(), prompts, text).Hangup();

    /// <summary>A call the menu does not know yet starts again at the inbound webhook.</summary>
    public static VoiceResponse StartAgain() => new VoiceResponse().Redirect(Url("/twilio/voice/incoming"), method: HttpMethod.Post);

    public static VoiceResponse Say(VoiceResponse response, Prompts prompts, string text) => response.Say(text, language: prompts.Language);

    public static Uri Url(string relative) => new(relative, UriKind.Relative);

    public static IResult Twiml(VoiceResponse response) => Results.Content(response.ToString(), "application/xml");

    private void SayClosed(Gather gather, Prompts prompts)
    {
        Say(gather, prompts, string.Format(prompts.Welcome, helpline.Name));
        Say(gather, prompts, DisclosureIn(prompts));
        Say(gather, prompts, prompts.ClosedNow);
        var now = time.UtcNow;
        Say(gather, prompts, hours.NextOpening(now) is { } opening
            ? string.Format(prompts.OpensAgain, prompts.When(time.ToLocal(now), time.ToLocal(opening)))
            : prompts.NoOpeningKnown);
    }

    private string DisclosureIn(Prompts prompts) => prompts == Prompts.Spanish ? disclosure.Spanish : disclosure.English;

    private static Gather Gather(Uri action, int timeoutSeconds) => new(
        input: [Twilio.TwiML.Voice.Gather.InputEnum.Dtmf],
        action: action,
        method: HttpMethod.Post,
        numDigits: 1,
        timeout: timeoutSeconds,
        actionOnEmptyResult: false);

    private static Gather Say(Gather gather, Prompts prompts, string text) => gather.Say(text, language: prompts.Language);
}
