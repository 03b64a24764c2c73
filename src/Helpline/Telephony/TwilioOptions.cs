using System.ComponentModel.DataAnnotations;

namespace Helpline.Telephony;

/// <summary>Section "Twilio".</summary>
public sealed class TwilioOptions : IValidatableObject
{
    /// <summary>The account's SID (AC…), for calls the app makes through Twilio's REST API.</summary>
    public string? AccountSid { get; set; }

    /// <summary>
    /// The account's auth token. Every request under /twilio/ must carry a signature made with it.
    /// Development ships a development token; production sets <c>Twilio__AuthToken</c>.
    /// </summary>
    [Required(ErrorMessage = "Twilio:AuthToken is required: webhooks are checked with it (set Twilio__AuthToken).")]
    public string AuthToken { get; set; } = "";

    /// <summary>
    /// The public URL Twilio calls, e.g. https://help.example.org. When set, signatures are checked
    /// against it; otherwise against the request's own scheme and host (after trusted forwarded headers).
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Where the app sends Twilio REST requests instead of https://api.twilio.com: empty in production;
    /// set only to put a Twilio-compatible stub behind app processes (the multi-node tests do).
    /// </summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>Refused signatures within the window that make /healthz say Degraded and log a warning.</summary>
    [Range(1, 1_000_000)]
    public int SignatureFailureThreshold { get; set; } = 20;

    [Range(10, 86_400)]
    public int SignatureFailureWindowSeconds { get; set; } = 300;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(PublicBaseUrl) &&
            !(Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Query.Length == 0 && uri.AbsolutePath == "/"))
        {
            yield return new ValidationResult("Twilio:PublicBaseUrl must be the scheme and host Twilio calls, without a path or query, e.g. https://help.example.org.", [nameof(PublicBaseUrl)]);
        }
        if (!string.IsNullOrEmpty(ApiBaseUrl) && !(Uri.TryCreate(ApiBaseUrl, UriKind.Absolute, out var api) && api.Scheme is "https" or "http" && api.AbsolutePath == "/"))
            yield return new ValidationResult("Twilio:ApiBaseUrl must be a scheme and host without a path, or empty (Twilio itself).", [nameof(ApiBaseUrl)]);
    }
}
