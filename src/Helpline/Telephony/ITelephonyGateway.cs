namespace Helpline.Telephony;

/// <summary>
/// What the app asks of the phone network: move a live call, place a call, hang up, send a text.
/// Twilio's REST API in production; the built-in simulator where no Twilio account is configured.
/// </summary>
public interface ITelephonyGateway
{
    /// <summary>Points a live call at new TwiML (Twilio: update the call's Url).</summary>
    Task RedirectCallAsync(string callSid, Uri twimlUrl, CancellationToken cancellationToken = default);

    /// <summary>Places an outbound call; returns its CallSid.</summary>
    Task<string> PlaceCallAsync(OutboundCall call, CancellationToken cancellationToken = default);

    Task HangUpAsync(string callSid, CancellationToken cancellationToken = default);

    Task SendSmsAsync(string to, string from, string body, CancellationToken cancellationToken = default);

    /// <summary>The audio of a recording (for playing a voicemail through the app, never from Twilio directly).</summary>
    Task<RecordingAudio> FetchRecordingAsync(string recordingUrl, CancellationToken cancellationToken = default);

    /// <summary>Deletes a recording (by its RE… sid) for good; one already gone counts as deleted.</summary>
    Task DeleteRecordingAsync(string recordingSid, CancellationToken cancellationToken = default);
}

public sealed record RecordingAudio(byte[] Content, string ContentType);

/// <param name="TwimlUrl">What Twilio fetches when the call is answered.</param>
/// <param name="StatusCallbackUrl">Where Twilio reports the call's progress (ringing, answered, completed, no-answer…).</param>
/// <param name="RingSeconds">How long to let it ring before giving up.</param>
/// <param name="Machine">Whether to tell a person from an answering machine before fetching the TwiML (it then says AnsweredBy).</param>
public sealed record OutboundCall(string To, string From, Uri TwimlUrl, Uri StatusCallbackUrl, int RingSeconds, MachineDetection Machine = MachineDetection.None);

/// <summary>Twilio's answering-machine detection for a call the app places.</summary>
public enum MachineDetection
{
    None,

    /// <summary>Tell a person from a machine as soon as possible (Twilio: Enable).</summary>
    Detect,

    /// <summary>For a machine, wait until its greeting ends, so a message can be left after the beep (Twilio: DetectMessageEnd).</summary>
    DetectMessageEnd,
}

/// <summary>The gateway failed to do what was asked (Twilio refused, or could not be reached).</summary>
public sealed class TelephonyException(string message, Exception? inner = null) : Exception(message, inner);
