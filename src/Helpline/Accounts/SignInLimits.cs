using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Helpline.Accounts;

/// <summary>How many sign-in attempts are allowed before the page asks to wait (section <c>SignIn</c>).</summary>
public sealed class SignInOptions
{
    /// <summary>Attempts from one address per window: an office behind one address signs in together, so not too few.</summary>
    [Range(1, 10_000)]
    public int PerAddressPerWindow { get; set; } = 30;

    /// <summary>Attempts for one account name per window, whatever the address (lockout comes first for a real account).</summary>
    [Range(1, 1_000)]
    public int PerAccountPerWindow { get; set; } = 10;

    [Range(1, 1440)]
    public int WindowMinutes { get; set; } = 15;
}

/// <summary>
/// Limits on sign-in attempts, per address (a rate-limiter policy on the page) and per account
/// name (<see cref="TryAcquireForAccount"/>, in the page, once the name is read), on top of
/// Identity's lockout. Both answer 429 with a message a person can act on.
/// </summary>
public sealed class SignInLimits : IRateLimiterPolicy<string>, IDisposable
{
    public const string PolicyName = "sign-in";

    public const string TooManyMessage = "Too many sign-in attempts. Please wait a few minutes, then try again.";

    private readonly SignInOptions _options;
    private readonly PartitionedRateLimiter<string> _perAccount;

    public SignInLimits(IOptions<SignInOptions> options)
    {
        _options = options.Value;
        _perAccount = PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetFixedWindowLimiter(name,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = _options.PerAccountPerWindow, Window = TimeSpan.FromMinutes(_options.WindowMinutes) }));
    }

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        // Only attempts count; showing the page does not.
        HttpMethods.IsPost(httpContext.Request.Method)
            ? RateLimitPartition.GetFixedWindowLimiter(httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = _options.PerAddressPerWindow, Window = TimeSpan.FromMinutes(_options.WindowMinutes) })
            : RateLimitPartition.GetNoLimiter("read");

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => async (context, cancellationToken) =>
    {
        var http = context.HttpContext;
        http.RequestServices.GetRequiredService<ILogger<SignInLimits>>()
            .LogWarning("Sign-in attempts from one address over the limit; refused with 429");
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = (_options.WindowMinutes * 60).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Staff sign-in</title></head><body><main>" +
            $"<h1>Staff sign-in</h1><p>{TooManyMessage}</p><p><a href=\"/sign-in\">Back to sign-in</a></p></main></body></html>",
            cancellationToken);
    };

    /// <summary>One attempt for this account name; false when it has had too many in the window.</summary>
    public bool TryAcquireForAccount(string accountName)
    {
        using var lease = _perAccount.AttemptAcquire(accountName.Trim().ToUpperInvariant());
        return lease.IsAcquired;
    }

    /// <summary>
    /// An account name as logs and the audit trail may show it when no account has that name: only a
    /// short hash, so repeated attempts on one name can be followed. People sometimes type their
    /// password into the name field; this never shows it.
    /// </summary>
    public static string HashOfUnknownName(string? accountName) =>
        "unknown #" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((accountName ?? "").Trim().ToUpperInvariant())))[..12];

    /// <summary>A real account's name for logs: first letter and domain ("a•••@helpline.example").</summary>
    public static string Mask(string accountName)
    {
        var at = accountName.LastIndexOf('@');
        return at > 0 ? accountName[0] + "•••" + accountName[at..] : accountName[0] + "•••";
    }

    public void Dispose() => _perAccount.Dispose();
}
