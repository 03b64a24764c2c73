using System.Security.Claims;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Helpline.Telephony;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// The chat's HTTP side. Public (the person): open a chat, trade the secret for a connection token,
/// leave. Staff: read a conversation (audited), write in it, end it.
/// </summary>
public static class ChatApi
{
    public sealed record StartRequest(string? Nickname, string? Lang);
    public sealed record StartResponse(string Secret);
    public sealed record SecretRequest(string? Secret);
    public sealed record TokenResponse(string Token, int ExpiresInSeconds);
    public sealed record SendRequest(string? ClientMessageId, string? Text);
    public sealed record EndRequest(string? ClosingMessage);
    public sealed record ReadRequest(int Sequence);
    public sealed record TransferRequest(string? AdvisorId);

    /// <summary>A conversation as its advisor (or a supervisor) reads it.</summary>
    public sealed record ConversationView(
        long ContactId, ContactStatus Status, CallerLanguage Language, string? Nickname, string? RiskReason, DateTime? QueuedAt,
        int ReadByPerson, bool PersonLeft, bool Mine, IReadOnlyList<ChatMessageView> Messages)
    {
        /// <summary>Chat, or Sms for a text conversation.</summary>
        public ContactChannel Channel { get; init; } = ContactChannel.Chat;

        /// <summary>A text conversation's number, masked as in the queue.</summary>
        public string? MaskedNumber { get; init; }

        /// <summary>A text conversation whose number replied STOP: replies cannot be sent until it texts START.</summary>
        public bool OptedOut { get; init; }
    }

    internal static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        var person = app.MapGroup("/chat/api").AllowAnonymous().DisableAntiforgery();
        person.MapPost("/start", Start);
        person.MapPost("/token", Token);
        person.MapPost("/leave", Leave);

        var staff = app.MapGroup("/api/conversations").RequireAuthorization();
        staff.MapGet("/{id:long}", Read);
        staff.MapPost("/{id:long}/messages", Send);
        staff.MapPost("/{id:long}/end", End);
        staff.MapPost("/{id:long}/read", MarkRead);
        staff.MapPost("/{id:long}/transfer", Transfer);
        staff.MapGet("/{id:long}/media/{mediaId:long}", Media);
        return app;
    }

    /// <summary>
    /// What limits and blocks count a chat's origin by: an IPv4 address, or an IPv6 address's /64
    /// network, which one household or phone is usually given whole (counting each of its addresses
    /// apart would let one device open chats without limit).
    /// </summary>
    internal static string NetworkOf(System.Net.IPAddress? address)
    {
        if (address is null)
            return "unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    /// <summary>
    /// Opens a chat from the chat page. The page's antiforgery token must come with it (a header), so
    /// a chat is opened from our page and not by another site; each address may open only a few.
    /// </summary>
    internal static async Task<Results<Ok<StartResponse>, ProblemHttpResult>> Start(
        HttpContext http, StartRequest? request, IAntiforgery antiforgery, Conversations conversations, HelplineDb db)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Reload the page and start the chat again.");
        var nickname = Conversations.Clean(request?.Nickname);
        if (nickname.Length > 40)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, request?.Lang == "es" ? "El nombre puede tener hasta 40 caracteres." : "A name can be up to 40 characters.");
        var language = request?.Lang == "es" ? CallerLanguage.Spanish : CallerLanguage.English;
        var address = db.Protector.AddressIndex(NetworkOf(http.Connection.RemoteIpAddress));
        var started = await conversations.StartAsync(nickname.Length == 0 ? null : nickname, language, address);
        var words = ChatText.For(request?.Lang);
        return started.Outcome switch
        {
            StartOutcome.Started => TypedResults.Ok(new StartResponse(started.Secret!)),
            StartOutcome.Closed => QueueApi.Problem(StatusCodes.Status409Conflict, words.Closed),
            StartOutcome.Blocked => QueueApi.Problem(StatusCodes.Status403Forbidden, words.Blocked),
            _ => QueueApi.Problem(StatusCodes.Status429TooManyRequests, words.TooMany),
        };
    }

    /// <summary>The secret, from the tab's session storage, for a connection token; refused once the conversation may no longer be resumed.</summary>
    internal static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Token(SecretRequest? request, Conversations conversations, ChatSecrets secrets, IOptions<ChatOptions> options)
    {
        if (request?.Secret is not { } secret || await conversations.ResumableAsync(secret) is not { } contactId)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "This chat has ended or can no longer be resumed.");
        await conversations.SeenAsync(contactId);
        return TypedResults.Ok(new TokenResponse(secrets.TokenFor(contactId), options.Value.TokenSeconds));
    }

    /// <summary>The person leaves (also sent by the quick exit as a beacon, which cannot wait for an answer).</summary>
    internal static async Task<NoContent> Leave(HttpRequest http, Conversations conversations)
    {
        SecretRequest? request = null;
        try
        {
            // A beacon's body may come as text/plain: read it as JSON whatever its type says.
            request = await System.Text.Json.JsonSerializer.DeserializeAsync<SecretRequest>(http.Body, System.Text.Json.JsonSerializerOptions.Web, http.HttpContext.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (request?.Secret is { } secret && await conversations.OfSecretAsync(secret) is { } contactId)
            await conversations.LeaveAsync(contactId);
        return TypedResults.NoContent();
    }

    /// <summary>The transcript, for the conversation's advisor or a supervisor; every read is audited.</summary>
    internal static async Task<Results<Ok<ConversationView>, ProblemHttpResult>> Read(long id, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db, Conversations conversations, Messages.TextDeliveries deliveries, HelplineTime time)
    {
        var found = await db.Conversations.AsNoTracking().Include(c => c.Contact).SingleOrDefaultAsync(c => c.ContactId == id);
        if (found?.Contact is not { } contact)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such conversation.");
        var me = users.GetUserId(user);
        if (contact.AdvisorId != me && !IsSupervisor(user))
            return QueueApi.Problem(StatusCodes.Status403Forbidden, "This conversation is another advisor's.");
        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "chat.transcript-read", id));
        await db.SaveChangesAsync();
        var texts = contact.Channel == ContactChannel.Sms;
        var number = texts ? await db.Contacts.Where(c => c.Id == id).Select(c => c.Caller!.PhoneNumber).SingleOrDefaultAsync() : null;
        return TypedResults.Ok(new ConversationView(contact.Id, contact.Status, contact.Language, found.Nickname, found.RiskReason, contact.QueuedAt,
            found.ReadByPerson, found.PersonLeftAt is not null, contact.AdvisorId == me, await conversations.MessagesAsync(id, 0))
        {
            Channel = contact.Channel,
            MaskedNumber = texts ? CallerNumbers.Mask(number) : null,
            OptedOut = texts && await deliveries.OptedOutAsync(id),
        });
    }

    /// <summary>
    /// A picture the person texted, fetched from Twilio through the app (never a Twilio link in the
    /// browser), for whoever may read the conversation; every look is audited.
    /// </summary>
    internal static async Task<IResult> Media(long id, long mediaId, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db, ITelephonyGateway gateway, HelplineTime time, HttpResponse response)
    {
        var media = await db.MessageMedia.AsNoTracking().Where(m => m.Id == mediaId && m.ContactId == id)
            .Select(m => new { m.Url, m.ContentType, Advisor = db.Contacts.Where(c => c.Id == m.ContactId).Select(c => c.AdvisorId).Single() }).SingleOrDefaultAsync();
        if (media?.Url is not { } url)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such picture, or it was deleted under the retention rules.");
        if (media.Advisor != users.GetUserId(user) && !IsSupervisor(user))
            return QueueApi.Problem(StatusCodes.Status403Forbidden, "This conversation is another advisor's.");
        MediaFile file;
        try
        {
            file = await gateway.FetchMediaAsync(url);
        }
        catch (TelephonyException)
        {
            return QueueApi.Problem(StatusCodes.Status502BadGateway, "Twilio could not serve the picture just now. Try again in a moment.");
        }
        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "sms.media-viewed", id, $"media {mediaId}"));
        await db.SaveChangesAsync();
        response.Headers.CacheControl = "no-store";
        // Pictures show in the page; anything else is only ever downloaded, as bytes, never run.
        return ShownInline.Contains(file.ContentType)
            ? Results.File(file.Content, file.ContentType)
            : Results.File(file.Content, "application/octet-stream", $"attachment-{mediaId}");
    }

    private static readonly HashSet<string> ShownInline = new(StringComparer.OrdinalIgnoreCase) { "image/jpeg", "image/png", "image/gif", "image/webp" };

    internal static async Task<Results<Ok<ChatMessageView>, ProblemHttpResult>> Send(long id, SendRequest? request, ClaimsPrincipal user, UserManager<StaffUser> users, Conversations conversations)
    {
        var result = await conversations.SendAsync(id, ChatSender.Advisor, users.GetUserId(user), request?.ClientMessageId, request?.Text);
        return result.Outcome switch
        {
            SendOutcome.Sent => TypedResults.Ok(result.Message!),
            SendOutcome.Empty => QueueApi.Problem(StatusCodes.Status400BadRequest, "Write a message first."),
            SendOutcome.TooLong => QueueApi.Problem(StatusCodes.Status400BadRequest, "That message is too long; send it in parts."),
            SendOutcome.OptedOut => QueueApi.Problem(StatusCodes.Status409Conflict, "This person texted STOP: no text can reach them until they text START. Call them only if they agreed to calls."),
            _ => QueueApi.Problem(StatusCodes.Status409Conflict, "This conversation is not yours, or it has ended."),
        };
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> End(long id, EndRequest? request, ClaimsPrincipal user, UserManager<StaffUser> users, Conversations conversations, HelplineDb db, IOptions<ChatOptions> options)
    {
        if (request?.ClosingMessage is { } closing && closing.Length > options.Value.MaxMessageLength)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "The closing message is too long.");
        if (request?.ClosingMessage is { Length: > Messages.SmsSegments.MaxLength } && await db.Contacts.AnyAsync(c => c.Id == id && c.Channel == ContactChannel.Sms))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, $"A text can be up to {Messages.SmsSegments.MaxLength:N0} characters: shorten the closing message.");
        if (!await conversations.EndAsync(id, users.GetUserId(user)!, request?.ClosingMessage))
            return QueueApi.Problem(StatusCodes.Status409Conflict, "This conversation is not yours, or it has ended already.");
        return TypedResults.NoContent();
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> MarkRead(long id, ReadRequest request, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db, Conversations conversations)
    {
        var me = users.GetUserId(user);
        if (!await db.Contacts.AnyAsync(c => c.Id == id && c.AdvisorId == me && ContactChannels.Written.Contains(c.Channel)))
            return QueueApi.Problem(StatusCodes.Status409Conflict, "This conversation is not yours.");
        await conversations.ReadAsync(id, ChatSender.Advisor, request.Sequence);
        return TypedResults.NoContent();
    }

    /// <summary>Hands the chat to another advisor, who must be free to take it; audited.</summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Transfer(long id, TransferRequest? request, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db, Conversations conversations, HelplineTime time)
    {
        var me = users.GetUserId(user)!;
        if (request?.AdvisorId is not { Length: > 0 } to || to == me)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "Choose another advisor.");
        var target = await db.Users.AsNoTracking().Where(u => u.Id == to).Select(u => new { u.DisplayName, u.Languages }).SingleOrDefaultAsync();
        if (target is null)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "There is no such advisor.");
        var outcome = await conversations.TransferAsync(id, me, to, target.Languages);
        if (outcome != ChatClaim.Taken)
            return QueueApi.Problem(StatusCodes.Status409Conflict, outcome switch
            {
                ChatClaim.OnACall => $"{target.DisplayName} is on a call.",
                ChatClaim.AtLimit => $"{target.DisplayName} already has as many chats as allowed.",
                ChatClaim.NotAvailable => $"{target.DisplayName} is on break or offline.",
                _ => $"This chat is not yours, it has ended, or {target.DisplayName} does not speak its language.",
            });
        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "chat.transferred", id, $"to {target.DisplayName}"));
        await db.SaveChangesAsync();
        return TypedResults.NoContent();
    }

    private static bool IsSupervisor(ClaimsPrincipal user) => user.IsInRole(Roles.Supervisor) || user.IsInRole(Roles.Admin);
}
