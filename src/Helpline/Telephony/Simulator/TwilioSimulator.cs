using System.Text;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Options;

namespace Helpline.Telephony.Simulator;

/// <summary>Section "Simulator".</summary>
public sealed class SimulatorOptions
{
    /// <summary>Use the simulator instead of Twilio. Default: on in Development when no Twilio account is configured.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Where the simulator sends its webhooks; default: the address the app listens on.</summary>
    public string? AppBaseUrl { get; set; }

    /// <summary>The number's "A call comes in" webhook, as set in Twilio's console.</summary>
    public string VoiceUrlPath { get; set; } = "/twilio/voice/incoming";

    /// <summary>The number's "Call status changes" webhook, as set in Twilio's console.</summary>
    public string StatusCallbackPath { get; set; } = "/twilio/voice/status";
}

/// <summary>The TwiML was something Twilio would refuse, or the person's action does not fit the call's state.</summary>
public sealed class SimulatorException(string message) : Exception(message);

/// <summary>
/// Twilio, played faithfully on one machine: simulated calls that POST our webhooks exactly as Twilio
/// does (same parameters, signed with the token the app checks), follow the TwiML we answer, and
/// act out REST calls (redirect, create, hang up, send a text) with the webhooks and status callbacks
/// Twilio would send. People's parts (pressing keys, hanging up, answering) are driven from the
/// simulator page or its JSON API. TwiML it does not understand fails loudly.
/// </summary>
/// <remarks>
/// The work is shared out: <see cref="TwimlInterpreter"/> plays Twilio's part of a call,
/// <see cref="SimulatedPerson"/> the person's, and <see cref="SimulatorState"/> holds what exists and
/// who is connected to whom. This class is the REST API the app calls, and the one handle on the rest.
/// </remarks>
public sealed class TwilioSimulator : ITelephonyGateway
{
    public const string HttpClientName = "twilio-simulator";
    public const string AccountSid = "ACsimulator0000000000000000000000";

    private readonly TimeProvider _clock;
    private readonly SimulatorState _state;
    private readonly TwimlInterpreter _twiml;
    private readonly SimulatedPerson _person;
    private readonly SimulatedTexts _texts;

    public TwilioSimulator(
        IHttpClientFactory httpClients,
        IOptions<TwilioOptions> twilio,
        IOptions<SimulatorOptions> options,
        IOptions<HelplineOptions> helpline,
        TimeProvider clock,
        ILogger<TwilioSimulator> logger,
        IServer? server = null)
    {
        _clock = clock;
        _state = new SimulatorState(clock, logger);
        _twiml = new TwimlInterpreter(_state, httpClients, twilio, options, clock, server);
        _person = new SimulatedPerson(_state, _twiml, helpline, clock);
        _texts = new SimulatedTexts(_state, _twiml, helpline, clock);
    }

    public IReadOnlyList<SimulatedCall> Calls => _state.Calls;

    /// <summary>Every text, both ways, oldest first.</summary>
    public IReadOnlyList<SimulatedMessage> Messages => _texts.Messages;

    /// <summary>The texts the app sent to <paramref name="number"/>, oldest first: what that phone received.</summary>
    public IReadOnlyList<SimulatedMessage> TextsTo(string number) => [.. _texts.Messages.Where(m => m.Direction is "outbound-api" or "outbound-reply" && m.To == number)];

    /// <summary>Everything that went wrong while acting out a REST request; also in the log and on the call.</summary>
    public IReadOnlyList<string> Errors => _state.Errors;

    public SimulatedCall? Find(string sid) => _state.Find(sid);

    /// <summary>The calls the app has placed to <paramref name="number"/>, first first: how often that phone was rung.</summary>
    public IReadOnlyList<SimulatedCall> PlacedTo(string number) => _state.PlacedTo(number);

    public IReadOnlyCollection<string> DeletedRecordings => _state.DeletedRecordings;

    /// <summary>Waits until every REST request has been acted out (for tests and scripts).</summary>
    public Task IdleAsync(TimeSpan timeout) => _state.IdleAsync(timeout);

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    // ---- People's side ----

    /// <inheritdoc cref="SimulatedPerson.CallInAsync"/>
    public Task<SimulatedCall> CallInAsync(string from, string? callerName = null, string? fromState = null) =>
        _person.CallInAsync(from, callerName, fromState);

    /// <inheritdoc cref="SimulatedPerson.PressAsync"/>
    public Task PressAsync(string sid, string digits) => _person.PressAsync(sid, digits);

    /// <inheritdoc cref="SimulatedPerson.NoInputAsync"/>
    public Task NoInputAsync(string sid) => _person.NoInputAsync(sid);

    /// <inheritdoc cref="SimulatedPerson.LeaveMessageAsync"/>
    public Task LeaveMessageAsync(string sid, int seconds) => _person.LeaveMessageAsync(sid, seconds);

    /// <inheritdoc cref="SimulatedPerson.HangUpAsync"/>
    public Task PersonHangsUpAsync(string sid) => _person.HangUpAsync(sid);

    /// <inheritdoc cref="SimulatedPerson.AnswerAsync"/>
    public Task AnswerAsync(string sid) => _person.AnswerAsync(sid);

    /// <inheritdoc cref="SimulatedPerson.MachineAnswersAsync"/>
    public Task MachineAnswersAsync(string sid) => _person.MachineAnswersAsync(sid);

    /// <inheritdoc cref="SimulatedPerson.DeclineAsync"/>
    public Task DeclineAsync(string sid, string outcome = "no-answer") => _person.DeclineAsync(sid, outcome);

    /// <inheritdoc cref="SimulatedPerson.HearWaitAgainAsync"/>
    public Task HearWaitAgainAsync(string sid) => _person.HearWaitAgainAsync(sid);

    /// <inheritdoc cref="SimulatedTexts.TextInAsync"/>
    public Task<SimulatedMessage> TextInAsync(string from, string body, int pictures = 0, string path = "/twilio/sms/incoming") => _texts.TextInAsync(from, body, pictures, path);

    /// <inheritdoc cref="SimulatedTexts.RepeatWebhookAsync"/>
    public Task RepeatTextWebhookAsync(string sid, string path = "/twilio/sms/incoming") => _texts.RepeatWebhookAsync(sid, path);

    /// <inheritdoc cref="SimulatedTexts.MakeUnreachable"/>
    public void MakeUnreachable(string number) => _texts.MakeUnreachable(number);

    // ---- REST API (what the app asks of Twilio) ----

    public Task RedirectCallAsync(string callSid, Uri twimlUrl, CancellationToken cancellationToken = default)
    {
        var call = _state.Live(callSid);
        _state.Background(call, async () =>
        {
            call.Write("rest", $"REST: redirect to {twimlUrl.PathAndQuery}", Now);
            if (call.Queue is not null)
                await _twiml.LeaveQueueAsync(call, "redirected", runActionTwiml: false);
            _twiml.LeaveConference(call);
            call.Waiting = null;
            await _twiml.RunAsync(call, await _twiml.PostAsync(call, twimlUrl, []));
        });
        return Task.CompletedTask;
    }

    public Task<string> PlaceCallAsync(OutboundCall outbound, CancellationToken cancellationToken = default)
    {
        var call = new SimulatedCall
        {
            Sid = SimulatorState.NewSid("CA"),
            From = outbound.From,
            To = outbound.To,
            Direction = "outbound-api",
            StartedAt = Now,
            AnswerUrl = outbound.TwimlUrl,
            StatusCallback = outbound.StatusCallbackUrl,
            Machine = outbound.Machine,
        };
        _state.AddPlaced(call);
        call.Write("rest", $"REST: call placed, ringing for up to {outbound.RingSeconds} s", Now);
        _state.Background(call, async () =>
        {
            await _twiml.StatusCallbackAsync(call, "initiated", "queued");
            await _twiml.StatusCallbackAsync(call, "ringing");
        });
        return Task.FromResult(call.Sid);
    }

    public Task HangUpAsync(string callSid, CancellationToken cancellationToken = default)
    {
        var call = _state.Live(callSid);
        _state.Background(call, async () =>
        {
            if (call.Ended)
                return;
            call.Write("rest", "REST: hang up", Now);
            if (call.Queue is not null)
                await _twiml.LeaveQueueAsync(call, "hangup", runActionTwiml: false);
            await _twiml.EndAsync(call, call.Status == "ringing" ? "canceled" : "completed");
        });
        return Task.CompletedTask;
    }

    public Task<string> SendSmsAsync(OutboundText text, CancellationToken cancellationToken = default) => Task.FromResult(_texts.Send(text));

    public Task<MediaFile> FetchMediaAsync(string mediaUrl, CancellationToken cancellationToken = default) => Task.FromResult(_texts.FetchMedia(mediaUrl));

    public Task DeleteMessageAsync(string messageSid, CancellationToken cancellationToken = default)
    {
        _texts.Delete(messageSid);
        return Task.CompletedTask;
    }

    /// <summary>A recording made in the simulator: a second of a soft tone (no real voice was recorded).</summary>
    public Task<RecordingAudio> FetchRecordingAsync(string recordingUrl, CancellationToken cancellationToken = default)
    {
        if (!recordingUrl.Contains("/Recordings/RE", StringComparison.Ordinal) || _state.IsDeleted(recordingUrl[(recordingUrl.LastIndexOf('/') + 1)..]))
            throw new TelephonyException("Twilio (simulated) has no such recording.");
        return Task.FromResult(new RecordingAudio(OneSecondTone(), "audio/wav"));
    }

    /// <summary>Recordings deleted (by the retention job): they can no longer be fetched, as at Twilio.</summary>
    public Task DeleteRecordingAsync(string recordingSid, CancellationToken cancellationToken = default)
    {
        _state.DeleteRecording(recordingSid);
        return Task.CompletedTask;
    }

    /// <summary>A WAV file of one second of a 440 Hz tone, 16-bit mono at 8 kHz.</summary>
    private static byte[] OneSecondTone()
    {
        const int rate = 8000;
        using var wav = new MemoryStream();
        using (var writer = new BinaryWriter(wav, Encoding.ASCII, leaveOpen: true))
        {
            writer.Write("RIFF"u8); writer.Write(36 + rate * 2); writer.Write("WAVE"u8);
            writer.Write("fmt "u8); writer.Write(16); writer.Write((short)1); writer.Write((short)1);
            writer.Write(rate); writer.Write(rate * 2); writer.Write((short)2); writer.Write((short)16);
            writer.Write("data"u8); writer.Write(rate * 2);
            for (var i = 0; i < rate; i++)
                writer.Write((short)(Math.Sin(2 * Math.PI * 440 * i / rate) * 2000));
        }
        return wav.ToArray();
    }
}
