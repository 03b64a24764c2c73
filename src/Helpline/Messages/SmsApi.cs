using System.Globalization;
using System.Security;
using System.Text.RegularExpressions;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Messages;

/// <summary>
/// Twilio's messaging webhooks, guarded by the signature check like every /twilio/ route: a text to
/// the hotline (<see cref="TextIntake"/>), and the status reports of the texts the helpline sends
/// (<see cref="TextDeliveries"/>). Anything that is not what Twilio sends is a 400, never a 500.
/// A text that ends in no conversation, and the answer Twilio sends for the app while the line is
/// closed, are noted by SID to be deleted at Twilio a day later (<see cref="TextAtTwilio"/>).
/// </summary>
public static partial class SmsApi
{
    /// <summary>Where Twilio reports the answer it sent for the app (TwiML's &lt;Message action&gt;): only its SID is kept.</summary>
    public const string UnkeptStatusPath = TextDeliveries.StatusPath + "?unkept=1";

    /// <summary>Twilio sends at most ten media with one message.</summary>
    private const int MaxMedia = 10;

    public static IEndpointRouteBuilder MapSms(this IEndpointRouteBuilder app)
    {
        app.MapPost("/twilio/sms/incoming", Incoming).AllowAnonymous().DisableAntiforgery();
        app.MapPost(TextDeliveries.StatusPath, Status).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    internal static async Task<IResult> Incoming(HttpRequest request, TextIntake intake, HelplineDb db, PublicUrls urls, HelplineTime time, ILogger<TextAtTwilio> logger)
    {
        var form = await request.ReadFormAsync();
        var sid = form["MessageSid"].ToString();
        if (!MessageSidPattern().IsMatch(sid))
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a messaging webhook", detail: "MessageSid is missing or is not a Twilio message SID.");
        if (!int.TryParse(form["NumMedia"].ToString() is { Length: > 0 } n ? n : "0", NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > MaxMedia)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a messaging webhook", detail: $"NumMedia is a number from 0 to {MaxMedia}.");
        var media = new List<(string Url, string ContentType)>();
        for (var i = 0; i < count; i++)
        {
            var url = form[$"MediaUrl{i}"].ToString();
            var type = form[$"MediaContentType{i}"].ToString();
            if (!IsTwilioMediaUrl(url) || !ContentTypePattern().IsMatch(type))
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a messaging webhook", detail: $"MediaUrl{i} must be a Twilio media URL and MediaContentType{i} a media type.");
            media.Add((url, type.ToLowerInvariant()));
        }
        // Twilio delivered this one before (it retries a slow answer): nothing more to do.
        if (await db.ChatMessages.AnyAsync(m => m.ProviderSid == sid))
            return Twiml(null, urls);
        var taken = await intake.ReceiveAsync(new InboundText(sid, form["From"].ToString(), form["Body"].ToString(), media, form["OptOutType"].ToString()));
        // In no conversation (closed line, blocked, a keyword alone): Twilio still holds it.
        if (!taken.Kept)
            await db.NoteAsync(sid, time.UtcNow, logger);
        return Twiml(taken.Reply, urls);
    }

    /// <summary>A text's progress, as Twilio reports it to the URL given when it was sent (with our message id).</summary>
    internal static async Task<IResult> Status(HttpRequest request, TextDeliveries deliveries, HelplineDb db, HelplineTime time, ILogger<TextAtTwilio> logger)
    {
        var form = await request.ReadFormAsync();
        var sid = form["MessageSid"].ToString();
        if (!MessageSidPattern().IsMatch(sid))
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a message status", detail: "MessageSid is missing or is not a Twilio message SID.");
        if (request.Query["unkept"] == "1")
        {
            await db.NoteAsync(sid, time.UtcNow, logger);
            // An action URL's answer may be read as TwiML: nothing more to do.
            return NothingMore();
        }
        long? messageId = long.TryParse(request.Query["m"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : null;
        int? errorCode = int.TryParse(form["ErrorCode"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
        if (TextDeliveries.FromTwilio(form["MessageStatus"].ToString()) is { } delivery)
            await deliveries.ReportedAsync(messageId, sid, delivery, errorCode);
        return Results.NoContent();
    }

    /// <summary>
    /// Twilio's answer to a text: nothing, or one message back, sent by Twilio rather than through
    /// the REST API; Twilio reports that message's SID to its action URL, so it can be deleted later.
    /// </summary>
    private static IResult Twiml(string? reply, PublicUrls urls) => reply is null
        ? NothingMore()
        : Results.Content($"<Response><Message action=\"{SecurityElement.Escape(urls.For(UnkeptStatusPath).AbsoluteUri)}\">{SecurityElement.Escape(reply)}</Message></Response>", "application/xml");

    private static IResult NothingMore() => Results.Content("<Response/>", "application/xml");

    /// <summary>Only Twilio's own media URLs are kept: they are fetched later with the account's credentials.</summary>
    internal static bool IsTwilioMediaUrl(string url) =>
        url.Length <= 500 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host == "api.twilio.com" && uri.AbsolutePath.Contains("/Media/", StringComparison.Ordinal);

    /// <summary>The caller's latest answer about texts is yes, and they have not replied STOP since.</summary>
    public static Task<bool> MayTextAsync(HelplineDb db, long callerId, CancellationToken cancellationToken = default) =>
        db.IsGrantedAsync(callerId, ConsentKind.Text, cancellationToken);

    [GeneratedRegex(@"^(SM|MM)[0-9a-fA-F]{32}\z")]
    private static partial Regex MessageSidPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}\z")]
    private static partial Regex ContentTypePattern();
}
