using Microsoft.AspNetCore.Authentication;

namespace Helpline.Chat;

/// <summary>The web chat's setup: its settings, services, the person's token scheme, its hub and API.</summary>
public static class ChatExtensions
{
    public static WebApplicationBuilder AddChat(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChatOptions>().BindConfiguration("Chat").Validate(
            o => o.MaxConversationsPerAdvisor is >= 1 and <= 10 && o.ResumeMinutes >= 1 && o.TokenSeconds is >= 10 and <= 3600 && o.MaxMessageLength is >= 100 and <= 10_000,
            "Chat: MaxConversationsPerAdvisor must be 1 to 10, ResumeMinutes at least 1, TokenSeconds 10 to 3600, MaxMessageLength 100 to 10,000.").ValidateOnStart();
        builder.Services.AddSingleton<RiskWords>();
        builder.Services.AddSingleton<ChatSecrets>();
        builder.Services.AddSingleton<ChatNotifier>();
        builder.Services.AddScoped<Conversations>();
        builder.Services.AddScoped<AdvisorChats>();
        builder.Services.AddSingleton<ChatSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChatSweeper>());
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ChatTokenAuthentication>(ChatTokenAuthentication.SchemeName, null);
        // The person's hub asks for its own scheme and claim, not the staff default policy.
        builder.Services.AddAuthorizationBuilder().AddPolicy(ChatTokenAuthentication.PolicyName, policy => policy
            .AddAuthenticationSchemes(ChatTokenAuthentication.SchemeName)
            .RequireClaim(ChatTokenAuthentication.ContactClaim));
        return builder;
    }

    public static IEndpointRouteBuilder MapChat(this IEndpointRouteBuilder app)
    {
        app.MapHub<ChatHub>("/hubs/chat");
        app.MapChatApi();
        return app;
    }
}
