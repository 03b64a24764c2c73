using System.Text.RegularExpressions;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Messages;

/// <summary>
/// Twilio's inbound-SMS webhook (guarded by the signature check like every /twilio/ route). A caller
/// who replies STOP is never texted again: the withdrawal is kept as a consent row with its evidence.
/// </summary>
public static partial class SmsApi
{
    /// <summary>The opt-out and opt-in keywords carriers and Twilio recognise.</summary>
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase) { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "PARAR" };
    private static readonly HashSet<string> StartWords = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP", "YES" };

    public const string StopTextVersion = "sms-keyword-stop";
    public const string StartTextVersion = "sms-keyword-start";

    public static IEndpointRouteBuilder MapSms(this IEndpointRouteBuilder app)
    {
        app.MapPost("/twilio/sms/incoming", Incoming).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    internal static async Task<IResult> Incoming(HttpRequest request, HelplineDb db, HelplineTime time, ILoggerFactory logs)
    {
        var form = request.Form;
        var sid = form["MessageSid"].ToString();
        if (!MessageSidPattern().IsMatch(sid))
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an SMS webhook", detail: "MessageSid is missing or is not a Twilio message SID.");

        // Twilio answers opt-out keywords itself; the app only has to remember them.
        var empty = Results.Content("<Response/>", "application/xml");
        var keyword = form["Body"].ToString().Trim();
        var granted = StopWords.Contains(keyword) ? false : StartWords.Contains(keyword) ? (bool?)true : null;
        if (granted is null || CallerNumbers.CallableE164(form["From"].ToString()) is not { } number)
            return empty;

        var hash = db.Protector.BlindIndex(number);
        var callerId = await db.Callers.Where(c => c.PhoneHash == hash).Select(c => (long?)c.Id).SingleOrDefaultAsync();
        if (callerId is null)
            return empty;

        db.Consents.Add(new Consent
        {
            CallerId = callerId.Value,
            Kind = ConsentKind.Text,
            Granted = granted.Value,
            TextVersion = granted.Value ? StartTextVersion : StopTextVersion,
            Source = ConsentSource.TextMessage,
            RecordedAt = time.UtcNow,
        });
        await db.SaveChangesAsync();
        logs.CreateLogger("Helpline.Messages").LogInformation("Caller {CallerId} {Change} texts by message {MessageSid}", callerId, granted.Value ? "allowed" : "stopped", sid);
        return empty;
    }

    /// <summary>The caller's latest answer about texts is yes, and they have not replied STOP since.</summary>
    public static Task<bool> MayTextAsync(HelplineDb db, long callerId, CancellationToken cancellationToken = default) =>
        db.IsGrantedAsync(callerId, ConsentKind.Text, cancellationToken);

    [GeneratedRegex(@"^SM[0-9a-fA-F]{32}\z")]
    private static partial Regex MessageSidPattern();
}
