namespace Helpline.Queue;

/// <summary>
/// The queue's setup: its settings, the live hub (with the Redis backplane when there are several
/// nodes), the change log and its broadcaster, taking, a contact's moves, and the checks that close
/// the hub connections of staff who signed out.
/// </summary>
public static class QueueExtensions
{
    public static WebApplicationBuilder AddQueue(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueueOptions>().BindConfiguration("Queue").ValidateDataAnnotations().ValidateOnStart();
        var signalR = builder.Services.AddSignalR().AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        // Several nodes: a change made on one reaches dashboards connected to any other (see QueueBackplane).
        if (builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis)
            signalR.AddQueueBackplane(redis);
        builder.Services.AddScoped<QueueEvents>();
        builder.Services.AddSingleton<QueueBroadcaster>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueBroadcaster>());
        builder.Services.AddScoped<QueueTaking>();
        builder.Services.AddScoped<ContactTransitions>();
        builder.Services.AddHostedService<QueueHeartbeat>();
        builder.Services.AddSingleton<HubSessions>();
        builder.Services.AddHostedService<HubSessionCheck>();
        builder.Services.AddHostedService<SignOutCheck>();
        return builder;
    }

    public static IEndpointRouteBuilder MapQueue(this IEndpointRouteBuilder app)
    {
        app.MapHub<QueueHub>("/hubs/queue").RequireAuthorization();
        app.MapQueueApi();
        return app;
    }
}
