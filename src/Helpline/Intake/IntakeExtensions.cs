using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Helpline.Intake;

public static class IntakeExtensions
{
    public const string RateLimitPolicy = "get-help";

    /// <summary>Requests per address in ten minutes before the form asks to wait (per number: see <see cref="GetHelpModel"/>).</summary>
    public const int PerAddressPerTenMinutes = 10;

    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(RateLimitPolicy, context =>
                // Only sending the form counts; reading it does not.
                HttpMethods.IsPost(context.Request.Method)
                    ? RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = PerAddressPerTenMinutes, Window = TimeSpan.FromMinutes(10) })
                    : RateLimitPartition.GetNoLimiter("read"));
            options.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.ContentType = "text/html; charset=utf-8";
                var text = FormText.For(await AsksForSpanishAsync(context.HttpContext.Request, cancellationToken) ? "es" : "en");
                var words = Shared.PageText.For(text.Lang);
                await context.HttpContext.Response.WriteAsync(
                    $"<!DOCTYPE html><html lang=\"{text.Lang}\"><head><meta charset=\"utf-8\"><title>{text.Title}</title></head><body><main><h1>{text.Title}</h1><p>{text.TooMany}</p>" +
                    $"<p><strong>{words.DangerBefore911} <a href=\"tel:911\">911</a>.</strong> {words.CrisisBefore988} <a href=\"tel:988\">988</a>{words.CrisisAfter988}</p></main></body></html>",
                    cancellationToken);
            };
        });
        return builder;
    }

    /// <summary>
    /// The refused post's language: from the address, else the form's hidden field. The body is
    /// anyone's, so a form that cannot be read answers in English rather than failing.
    /// </summary>
    private static async Task<bool> AsksForSpanishAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Query["lang"] == "es")
            return true;
        if (!request.HasFormContentType)
            return false;
        try
        {
            return (await request.ReadFormAsync(cancellationToken))["Lang"] == "es";
        }
        catch (Exception e) when (Infrastructure.UnreadableBodies.IsUnreadableBody(request, e) || e is IOException)
        {
            return false;
        }
    }
}
