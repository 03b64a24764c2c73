namespace Helpline.Messages;

/// <summary>Text messages' setup: settings, the intake and delivery of texts, and Twilio's messaging webhooks.</summary>
public static class MessagesExtensions
{
    public static WebApplicationBuilder AddMessages(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SmsOptions>().BindConfiguration("Sms");
        builder.Services.AddScoped<TextIntake>();
        builder.Services.AddScoped<TextDeliveries>();
        return builder;
    }

    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder app) => app.MapSms();
}
