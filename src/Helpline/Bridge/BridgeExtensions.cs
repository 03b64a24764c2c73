namespace Helpline.Bridge;

/// <summary>The bridge's setup: the conference webhooks Twilio calls while a caller and an advisor are joined.</summary>
public static class BridgeExtensions
{
    public static IEndpointRouteBuilder MapBridge(this IEndpointRouteBuilder app) => app.MapBridgeWebhooks();
}
