namespace Helpline.Messages;

/// <summary>Messages' setup: Twilio's inbound-SMS webhook.</summary>
public static class MessagesExtensions
{
    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder app) => app.MapSms();
}
