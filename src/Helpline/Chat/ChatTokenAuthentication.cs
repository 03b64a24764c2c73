using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// Signs a chat connection in as its conversation: the token SignalR sends (in the WebSocket's URL,
/// or as a bearer header on other transports) becomes a principal with the conversation's id.
/// Only the chat hub uses this scheme; staff pages and hubs never accept it.
/// </summary>
public sealed class ChatTokenAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ChatSecrets secrets)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ChatToken";
    public const string PolicyName = "chat-person";
    public const string ContactClaim = "helpline:chat";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = Request.Query["access_token"];
        if (string.IsNullOrEmpty(token) && Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal))
            token = header["Bearer ".Length..].Trim();
        if (string.IsNullOrEmpty(token))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (secrets.ContactOf(token) is not { } contactId)
            return Task.FromResult(AuthenticateResult.Fail("The chat token is not valid or has expired."));
        var identity = new ClaimsIdentity([new Claim(ContactClaim, contactId.ToString(System.Globalization.CultureInfo.InvariantCulture))], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
