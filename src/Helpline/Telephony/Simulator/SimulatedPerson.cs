using System.Globalization;
using Helpline.Infrastructure;
using Microsoft.Extensions.Options;

namespace Helpline.Telephony.Simulator;

/// <summary>
/// The person at the other end of every simulated call: what a test or the simulator page does in their
/// place (call in, press keys, stay silent, leave a message, hang up, answer, let it ring, text back).
/// Each action runs alone on its call and refuses what does not fit the call's state.
/// </summary>
internal sealed class SimulatedPerson(SimulatorState state, TwimlInterpreter twiml, IOptions<HelplineOptions> helpline, TimeProvider clock)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Someone dials the hotline from <paramref name="from"/> (E.164, or "anonymous").</summary>
    public async Task<SimulatedCall> CallInAsync(string from, string? callerName, string? fromState)
    {
        var call = new SimulatedCall
        {
            Sid = SimulatorState.NewSid("CA"),
            From = from,
            To = helpline.Value.HotlineNumber,
            Direction = "inbound",
            StartedAt = Now,
            CallerName = callerName,
            FromState = fromState,
        };
        state.Add(call);
        await SimulatorState.WithCallAsync(call, async () =>
        {
            call.Status = "ringing";
            call.Write("call", $"Incoming call to the hotline", Now);
            var document = await twiml.PostAsync(call, twiml.VoiceUrl, []);
            call.Status = "in-progress";
            call.AnsweredAt = Now;
            await twiml.RunAsync(call, document);
        });
        return call;
    }

    /// <summary>The person presses keys while the call is gathering them.</summary>
    public Task PressAsync(string sid, string digits) => SimulatorState.WithCallAsync(state.Get(sid), async call =>
    {
        if (call.Waiting is not GatherPoint gather)
            throw new SimulatorException("The call is not listening for keys right now.");
        if (digits.Length == 0 || digits.Any(c => !char.IsAsciiDigit(c) && c is not '*' and not '#'))
            throw new SimulatorException("Keys are 0-9, * and #.");
        var pressed = KeysGathered(gather, digits);
        call.Write("person", $"Pressed {digits}", Now);
        call.Waiting = null;
        var document = await twiml.PostAsync(call, gather.Action ?? gather.Rest.DocumentUrl, new() { ["Digits"] = pressed });
        await twiml.RunAsync(call, document, gather.Rest.InWaitContext);
    });

    /// <summary>What the Gather passes on: the keys before its finish key, at most its number of digits.</summary>
    private static string KeysGathered(GatherPoint gather, string digits)
    {
        var pressed = digits;
        var end = pressed.IndexOf(gather.FinishOnKey, StringComparison.Ordinal);
        if (gather.FinishOnKey.Length > 0 && end >= 0)
            pressed = pressed[..end];
        if (gather.NumDigits is { } n && pressed.Length > n)
            pressed = pressed[..n];
        return pressed;
    }

    /// <summary>The person says nothing: the Gather times out, or a recording picks up only silence.</summary>
    public Task NoInputAsync(string sid) => SimulatorState.WithCallAsync(state.Get(sid), async call =>
    {
        call.Write("person", "Says nothing", Now);
        switch (call.Waiting)
        {
            case GatherPoint { ActionOnEmptyResult: true } gather:
                call.Waiting = null;
                await twiml.RunAsync(call, await twiml.PostAsync(call, gather.Action ?? gather.Rest.DocumentUrl, new() { ["Digits"] = "" }), gather.Rest.InWaitContext);
                break;
            case GatherPoint or RecordPoint:
                var rest = call.Waiting.Rest;
                call.Waiting = null;
                await twiml.ContinueAsync(call, rest);
                break;
            default:
                throw new SimulatorException("The call is not waiting for the person to speak or press keys.");
        }
    });

    /// <summary>The person leaves a message of <paramref name="seconds"/> after the tone, then hangs up.</summary>
    public Task LeaveMessageAsync(string sid, int seconds) => SimulatorState.WithCallAsync(state.Get(sid), async call =>
    {
        if (call.Waiting is not RecordPoint record)
            throw new SimulatorException("The call is not recording.");
        seconds = Math.Clamp(seconds, 1, record.MaxLength);
        var recordingSid = SimulatorState.NewSid("RE");
        call.Write("person", $"Leaves a {seconds}-second message and hangs up", Now);
        call.Waiting = null;
        // The caller is gone: Twilio still requests the action with the recording, and ignores the TwiML.
        await twiml.PostAsync(call, record.Action ?? record.Rest.DocumentUrl, new()
        {
            ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{TwilioSimulator.AccountSid}/Recordings/{recordingSid}",
            ["RecordingSid"] = recordingSid,
            ["RecordingDuration"] = seconds.ToString(CultureInfo.InvariantCulture),
            ["Digits"] = "hangup",
        });
        await twiml.EndAsync(call, "completed");
    });

    /// <summary>The person hangs up, wherever the call is.</summary>
    public Task HangUpAsync(string sid) => SimulatorState.WithCallAsync(state.Get(sid), async call =>
    {
        if (call.Ended)
            throw new SimulatorException("The call has ended already.");
        call.Write("person", "Hangs up", Now);
        if (call.Queue is not null)
            await twiml.LeaveQueueAsync(call, "hangup", runActionTwiml: false);
        await twiml.EndAsync(call, call.Status == "ringing" && call.Direction != "inbound" ? "canceled" : "completed");
    });

    /// <summary>The phone of a call the app placed is answered.</summary>
    public Task AnswerAsync(string sid) => SimulatorState.WithCallAsync(state.Get(sid), call =>
        PickUpAsync(call, "Answers", call.Machine == MachineDetection.None ? null : "human"));

    /// <summary>
    /// An answering machine picks up a call the app placed. With detection, Twilio says so in AnsweredBy
    /// (after the greeting's beep when asked to wait for it); without, the TwiML plays to the machine.
    /// </summary>
    public Task MachineAnswersAsync(string sid) => SimulatorState.WithCallAsync(state.Get(sid), call =>
        PickUpAsync(call, "Answering machine picks up", call.Machine switch
        {
            MachineDetection.Detect => "machine_start",
            MachineDetection.DetectMessageEnd => "machine_end_beep",
            _ => null,
        }));

    private async Task PickUpAsync(SimulatedCall call, string who, string? answeredBy)
    {
        if (call.Direction == "inbound" || call.Status != "ringing")
            throw new SimulatorException("Only a ringing call the app placed can be answered.");
        call.Write("person", who, Now);
        call.Status = "in-progress";
        call.AnsweredAt = Now;
        await twiml.StatusCallbackAsync(call, "answered");
        await twiml.RunAsync(call, await twiml.PostAsync(call, call.AnswerUrl!, answeredBy is null ? [] : new() { ["AnsweredBy"] = answeredBy }));
    }

    /// <summary>The phone of a call the app placed is not answered (no-answer) or is busy.</summary>
    public Task DeclineAsync(string sid, string outcome) => SimulatorState.WithCallAsync(state.Get(sid), async call =>
    {
        if (outcome is not ("no-answer" or "busy" or "failed"))
            throw new SimulatorException("A call that is not answered ends as no-answer, busy or failed.");
        if (call.Direction == "inbound" || call.Status != "ringing")
            throw new SimulatorException("Only a ringing call the app placed can go unanswered.");
        call.Write("person", outcome == "busy" ? "Line busy" : "Lets it ring out", Now);
        await twiml.EndAsync(call, outcome);
    });

    /// <summary>Time passes in Twilio's queue: the wait URL is asked again, as Twilio does when its TwiML ends.</summary>
    public Task HearWaitAgainAsync(string sid) => SimulatorState.WithCallAsync(state.Get(sid), async call =>
    {
        if (call.Queue is null)
            throw new SimulatorException("The call is not in the queue.");
        call.Waiting = null;
        await twiml.RunWaitUrlAsync(call);
    });
}
