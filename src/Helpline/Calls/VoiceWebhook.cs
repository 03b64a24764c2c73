using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;

namespace Helpline.Calls;

/// <summary>
/// The parameters Twilio posts to the voice webhooks, read defensively: a signed request can still
/// be garbled, and garbled input must give a 4xx or harmless TwiML, never a 500.
/// </summary>
internal sealed partial record VoiceWebhook(
    string CallSid,
    string? From,
    string? CallerName,
    string? FromState,
    string? Digits,
    string? CallStatus,
    int? SequenceNumber,
    string? QueueResult,
    int? QueueTime,
    string? RecordingUrl,
    string? RecordingSid,
    int? RecordingDuration,
    string? AnsweredBy)
{
    /// <summary>Twilio's answering-machine detection found a machine (or a fax), not a person.</summary>
    public bool AnsweredByMachine => AnsweredBy is { } by && (by.StartsWith("machine", StringComparison.Ordinal) || by == "fax");

    /// <summary>The machine's greeting has ended (detection asked to wait for the beep): a message left now is heard.</summary>
    public bool AtMessageEnd => AnsweredBy is "machine_end_beep" or "machine_end_silence" or "machine_end_other";

    public static bool TryRead(IFormCollection form, out VoiceWebhook call)
    {
        call = null!;
        var sid = form["CallSid"].ToString();
        if (!CallSidPattern().IsMatch(sid))
            return false;
        call = new VoiceWebhook(
            sid,
            Text(form, "From", 64),
            Text(form, "CallerName", 64),
            Text(form, "FromState", 64),
            Text(form, "Digits", 32),
            Text(form, "CallStatus", 32),
            Number(form, "SequenceNumber"),
            Text(form, "QueueResult", 32),
            Number(form, "QueueTime"),
            Url(form, "RecordingUrl"),
            Text(form, "RecordingSid", 34),
            Number(form, "RecordingDuration"),
            Text(form, "AnsweredBy", 32));
        return true;
    }

    /// <summary>The webhook <see cref="VoiceWebhooks.ReadsVoiceWebhook"/> read for this request.</summary>
    public static VoiceWebhook Of(HttpContext context) => context.Features.GetRequiredFeature<VoiceWebhook>();

    public static IResult Garbled() => Results.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "Not a voice webhook",
        detail: "CallSid is missing or is not a Twilio call SID.");

    /// <summary>Trimmed text cut to a sane length; Twilio's values are short, a longer one is noise.</summary>
    private static string? Text(IFormCollection form, string name, int maxLength)
    {
        var value = form[name].ToString().Trim();
        if (value.Length == 0)
            return null;
        return value.Length <= maxLength ? value : value[..maxLength];
    }

    private static int? Number(IFormCollection form, string name) =>
        int.TryParse(form[name].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string? Url(IFormCollection form, string name)
    {
        var value = form[name].ToString();
        return value.Length <= 1024 && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? uri.AbsoluteUri
            : null;
    }

    [GeneratedRegex(@"^CA[0-9a-fA-F]{32}\z")]
    private static partial Regex CallSidPattern();
}

/// <summary>Binds Twilio's voice webhooks once per route group instead of in every handler.</summary>
internal static class VoiceWebhooks
{
    /// <summary>
    /// Reads the webhook once for every route of the group, from the form the signature check has read
    /// already: a request without a Twilio CallSid is answered 400 with problem details and reaches no
    /// handler. A handler finds the webhook with <see cref="VoiceWebhook.Of"/>.
    /// </summary>
    public static RouteGroupBuilder ReadsVoiceWebhook(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        // Another parameter did not bind (a contact that is not a number): the framework's 400 stands.
        if (http.Response.StatusCode == StatusCodes.Status400BadRequest)
            return await next(context);
        if (!VoiceWebhook.TryRead(http.Request.Form, out var call))
            return VoiceWebhook.Garbled();
        http.Features.Set(call);
        return await next(context);
    });
}
