namespace Helpline.Calls;

/// <summary>Calls' setup: the writer that commits inbound calls arriving together in one transaction, and the voice webhooks.</summary>
public static class CallsExtensions
{
    public static WebApplicationBuilder AddCalls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InboundCallWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InboundCallWriter>());
        return builder;
    }

    public static IEndpointRouteBuilder MapCalls(this IEndpointRouteBuilder app) => app.MapVoiceWebhooks();
}
