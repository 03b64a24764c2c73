using Microsoft.Extensions.Options;

namespace Helpline.Telephony;

/// <summary>
/// Absolute URLs of our /twilio/ routes, for calls the app starts through the REST API (TwiML
/// answered by a live call can use relative URLs; a new call cannot).
/// </summary>
public sealed class PublicUrls(IOptions<TwilioOptions> options, IHttpContextAccessor http)
{
    public Uri For(string pathAndQuery)
    {
        if (!string.IsNullOrEmpty(options.Value.PublicBaseUrl))
            return new Uri(options.Value.PublicBaseUrl.TrimEnd('/') + pathAndQuery);
        var request = http.HttpContext?.Request
            ?? throw new InvalidOperationException("Twilio:PublicBaseUrl must be set for calls started outside a request.");
        return new Uri($"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}{pathAndQuery}");
    }
}
