using Microsoft.Net.Http.Headers;

namespace Helpline.Infrastructure;

/// <summary>
/// Headers every response carries: a content security policy without inline script or style,
/// no framing, no MIME sniffing, no referrer, no powerful browser features; and <c>no-store</c> on
/// everything that is not a static file, so a shared computer's cache or back button never holds
/// a caller's details or a staff page.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// The app's policy. 'self' in connect-src also covers ws: and wss: to the same host (CSP level 3),
    /// which is how the SignalR hub connects.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    /// <summary>
    /// Hangfire's dashboard (supervisors only, <c>/hangfire</c>) ships inline scripts and styles that
    /// cannot be moved; only that path gets them, and nothing else is loosened.
    /// </summary>
    public const string HangfireContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public const string PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

    /// <summary>Static files may be kept, but are checked again each time (their ETag makes that cheap).</summary>
    public const string StaticCacheControl = "no-cache";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // Decided now: Hangfire's dashboard moves the path into PathBase by the time the response starts.
        var policy = context.Request.Path.StartsWithSegments("/hangfire") ? HangfireContentSecurityPolicy : ContentSecurityPolicy;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers[HeaderNames.ContentSecurityPolicy] = policy;
            headers[HeaderNames.XContentTypeOptions] = "nosniff";
            headers[HeaderNames.XFrameOptions] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = PermissionsPolicy;
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            // Static files set their own (see UseInfrastructure); everything else is never stored.
            if (string.IsNullOrEmpty(headers.CacheControl))
            {
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }
            return Task.CompletedTask;
        });
        return next(context);
    });
}
