using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// The person's credentials. A conversation's secret (32 random bytes) is given once, when the chat
/// opens, and kept only in the tab's session storage; the database keeps its SHA-256. The secret is
/// traded for a connection token that lives <see cref="ChatOptions.TokenSeconds"/>: SignalR puts the
/// token in the WebSocket's URL, where proxies log it, so only a token that soon means nothing goes there.
/// Tokens are Data Protection payloads, so every node reads every other node's.
/// </summary>
public sealed class ChatSecrets(IDataProtectionProvider protection, IOptions<ChatOptions> options, TimeProvider clock)
{
    private readonly IDataProtector _tokens = protection.CreateProtector("Helpline.Chat.ConnectionToken.v1");

    public static string NewSecret() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>A secret has the shape <see cref="NewSecret"/> gives; anything else is refused before a lookup.</summary>
    public static bool LooksLikeSecret(string? secret) => secret is { Length: 43 } && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A token for the conversation, expiring by the app's clock (the id and the expiry, protected together).</summary>
    public string TokenFor(long contactId) =>
        _tokens.Protect(FormattableString.Invariant($"{contactId}|{clock.GetUtcNow().AddSeconds(options.Value.TokenSeconds).ToUnixTimeSeconds()}"));

    /// <summary>The conversation a token is for, or null when it is forged, garbled or expired.</summary>
    public long? ContactOf(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1000)
            return null;
        try
        {
            var parts = _tokens.Unprotect(token).Split('|');
            return parts.Length == 2 && long.TryParse(parts[0], out var id) && long.TryParse(parts[1], out var expires)
                && expires > clock.GetUtcNow().ToUnixTimeSeconds() ? id : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
