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

    /// <summary>
    /// Sends a text; returns Twilio's SID for it (SM…). Twilio reports its progress, signed, to the
    /// text's status callback. A number that replied STOP is refused with <see cref="TelephonyException.ErrorCode"/> 21610.
    /// </summary>
    Task<string> SendSmsAsync(OutboundText text, CancellationToken cancellationToken = default);

    /// <summary>A picture (or other file) a person texted, from Twilio's media URL; only ever passed on through the app.</summary>
    Task<MediaFile> FetchMediaAsync(string mediaUrl, CancellationToken cancellationToken = default);

    /// <summary>Deletes a text (by its SM… or MM… sid) at Twilio for good, with its media; one already gone counts as deleted.</summary>
    Task DeleteMessageAsync(string messageSid, CancellationToken cancellationToken = default);

    /// <summary>The audio of a recording (for playing a voicemail through the app, never from Twilio directly).</summary>
    Task<RecordingAudio> FetchRecordingAsync(string recordingUrl, CancellationToken cancellationToken = default);

    /// <summary>Deletes a recording (by its RE… sid) for good; one already gone counts as deleted.</summary>
    Task DeleteRecordingAsync(string recordingSid, CancellationToken cancellationToken = default);
}

public sealed record RecordingAudio(byte[] Content, string ContentType);

public sealed record MediaFile(byte[] Content, string ContentType);

/// <param name="StatusCallbackUrl">Where Twilio reports the text's progress (queued, sent, delivered, undelivered, failed); none for a text nobody follows.</param>
public sealed record OutboundText(string To, string From, string Body, Uri? StatusCallbackUrl = null);

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
public sealed class TelephonyException(string message, Exception? inner = null, int? errorCode = null) : Exception(message, inner)
{
    /// <summary>Twilio's error code when Twilio refused (e.g. 21610: the number replied STOP), or null.</summary>
    public int? ErrorCode { get; } = errorCode;

    /// <summary>Twilio's code for a text to a number that has opted out by replying STOP.</summary>
    public const int OptedOut = 21610;
}
