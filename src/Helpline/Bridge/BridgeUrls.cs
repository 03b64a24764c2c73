namespace Helpline.Bridge;

/// <summary>
/// The addresses of the bridge's webhooks, built in one place: the routes <see cref="BridgeApi"/> maps
/// and the calls Queue and Callbacks place through Twilio must name the same paths.
/// </summary>
public static class BridgeUrls
{
    internal const string Root = "/twilio/voice/bridge";

    /// <summary>TwiML for the caller's leg: their live call redirected, or the callback call placed to them.</summary>
    public static string Caller(long contactId) => $"{Root}/caller?contact={contactId}";

    /// <summary>TwiML for the advisor's phone once answered.</summary>
    public static string Advisor(long contactId) => $"{Root}/advisor?contact={contactId}";

    /// <summary>Status callbacks of the advisor's leg.</summary>
    public static string AdvisorStatus(long contactId) => $"{Root}/advisor-status?contact={contactId}";

    /// <summary>Status callbacks of the caller's leg of a callback.</summary>
    public static string CalleeStatus(long contactId) => $"{Root}/callee-status?contact={contactId}";

    /// <summary>Where a caller whose advisor missed the call goes back into Twilio's queue.</summary>
    public static string Requeue(long contactId) => $"{Root}/requeue?contact={contactId}";

    /// <summary>TwiML for the third party's leg of a warm transfer.</summary>
    public static string Transfer(long contactId) => $"{Root}/transfer?contact={contactId}";

    /// <summary>Status callbacks of the transfer leg.</summary>
    public static string TransferStatus(long contactId) => $"{Root}/transfer-status?contact={contactId}";
}
