using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Twilio.Security;

namespace Helpline.Telephony;

/// <summary>
/// Guards every request under /twilio/: it must carry a valid <c>X-Twilio-Signature</c>, or it is
/// answered 403 before anything is bound, acted on or stored, malformed bodies included.
/// </summary>
public sealed class TwilioSignatureMiddleware(RequestDelegate next, IOptions<TwilioOptions> options, SignatureFailures failures, ILogger<TwilioSignatureMiddleware> logger)
{
    /// <summary>Twilio's webhooks are small; anything bigger is not from Twilio.</summary>
    internal const int MaxBodyBytes = 64 * 1024;

    private static readonly FormOptions FormLimits = new()
    {
        ValueLengthLimit = 8 * 1024,
        ValueCountLimit = 200,
        KeyLengthLimit = 256,
        MultipartBodyLengthLimit = MaxBodyBytes,
        BufferBody = true,
    };

    private static readonly Meter Meter = new("Helpline.Twilio");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("helpline.twilio.signature_rejected");

    private readonly RequestValidator _validator = new(options.Value.AuthToken);

    public async Task InvokeAsync(HttpContext context)
    {
        var signature = context.Request.Headers["X-Twilio-Signature"].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            await RejectAsync(context, "missing signature");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxBodyBytes;

        var url = SignedUrl(context.Request, options.Value.PublicBaseUrl);
        bool valid;
        try
        {
            valid = context.Request.HasFormContentType
                ? _validator.Validate(url, FormParameters(await context.Request.ReadFormAsync(FormLimits, context.RequestAborted)), signature)
                : await ValidateBodyAsync(context.Request, url, signature);
        }
        catch (Exception e) when (Infrastructure.UnreadableBodies.IsUnreadableBody(context.Request, e) || e is IOException or FormatException)
        {
            // The body could not be read as Twilio sends it, so its signature cannot be proven.
            await RejectAsync(context, "unreadable body");
            return;
        }

        if (!valid)
        {
            await RejectAsync(context, "signature does not match");
            return;
        }
        await next(context);
    }

    /// <summary>
    /// The URL Twilio signed: the configured public base URL, or the request's own scheme and host
    /// (already rewritten from trusted forwarded headers), with path and query, without default ports.
    /// </summary>
    internal static string SignedUrl(HttpRequest request, string? publicBaseUrl)
    {
        var pathAndQuery = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        if (!string.IsNullOrEmpty(publicBaseUrl))
            return publicBaseUrl.TrimEnd('/') + pathAndQuery;

        var host = request.Host;
        if (host.Port is { } port && ((port == 443 && request.IsHttps) || (port == 80 && request.Scheme == "http")))
            host = new HostString(host.Host);
        return request.Scheme + "://" + host.ToUriComponent() + pathAndQuery;
    }

    private static Dictionary<string, string> FormParameters(IFormCollection form) =>
        form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);

    /// <summary>JSON-body webhooks sign the URL, which carries bodySHA256; the body is checked against that hash.</summary>
    private async Task<bool> ValidateBodyAsync(HttpRequest request, string url, string signature)
    {
        if (!request.Query.ContainsKey("bodySHA256"))
            return false;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        return _validator.Validate(url, body, signature);
    }

    private async Task RejectAsync(HttpContext context, string reason)
    {
        Rejected.Add(1);
        failures.Record();
        logger.LogWarning("Rejected a request to {Path}: {Reason}. If every Twilio request is rejected, check Twilio:PublicBaseUrl and Twilio:AuthToken.",
            context.Request.Path.Value, reason);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Invalid Twilio signature",
            detail: "Requests under /twilio/ must be signed by Twilio with this helpline's auth token.").ExecuteAsync(context);
    }
}

public static class TwilioSignatureExtensions
{
    /// <summary>Checks Twilio's signature on the /twilio branch, before routing binds anything.</summary>
    public static IApplicationBuilder UseTwilioSignatures(this IApplicationBuilder app) =>
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/twilio"), branch => branch.UseMiddleware<TwilioSignatureMiddleware>());
}
