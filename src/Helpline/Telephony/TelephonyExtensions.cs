using Helpline.Telephony.Simulator;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Http;

namespace Helpline.Telephony;

/// <summary>Telephony's setup: Twilio's settings and REST client, the signature check's counters, and the gateway (Twilio or the simulator).</summary>
public static class TelephonyExtensions
{
    /// <summary>The named HttpClient under Twilio's SDK; tests replace its handler with a fake Twilio API.</summary>
    public const string TwilioHttpClient = "twilio";

    public static WebApplicationBuilder AddTelephony(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TwilioOptions>().BindConfiguration("Twilio").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddSingleton<SignatureFailures>();
        builder.Services.AddHealthChecks().AddCheck<SignatureFailuresHealthCheck>("twilio-signatures");
        var twilioApi = builder.Services.AddHttpClient(TwilioHttpClient);
        if (builder.Configuration["Twilio:ApiBaseUrl"] is { Length: > 0 } apiBase && Uri.TryCreate(apiBase, UriKind.Absolute, out var apiBaseUri))
            twilioApi.AddHttpMessageHandler(() => new TwilioApiBaseUrl(apiBaseUri));
        builder.Services.AddSingleton(sp =>
        {
            var twilio = sp.GetRequiredService<IOptions<TwilioOptions>>().Value;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(TwilioHttpClient);
            return new TwilioRestClient(twilio.AccountSid ?? "", twilio.AuthToken, httpClient: new SystemNetHttpClient(http));
        });
        builder.Services.AddOptions<SimulatorOptions>().BindConfiguration("Simulator");

        if (SimulatorEnabled(builder))
        {
            builder.Services.AddHttpClient(TwilioSimulator.HttpClientName);
            builder.Services.AddSingleton<TwilioSimulator>();
            builder.Services.AddSingleton<ITelephonyGateway>(sp => sp.GetRequiredService<TwilioSimulator>());
        }
        else
        {
            builder.Services.AddSingleton<ITelephonyGateway, TwilioGateway>();
        }
        return builder;
    }

    /// <summary>The simulator's JSON API, where the simulator is on.</summary>
    public static IEndpointRouteBuilder MapTelephony(this IEndpointRouteBuilder app) => app.MapSimulator();

    /// <summary>On by default in Development without a Twilio account; otherwise only when Simulator:Enabled says so.</summary>
    private static bool SimulatorEnabled(WebApplicationBuilder builder) =>
        builder.Configuration.GetValue<bool?>("Simulator:Enabled")
        ?? (builder.Environment.IsDevelopment() && string.IsNullOrEmpty(builder.Configuration["Twilio:AccountSid"]));
}

/// <summary>Sends the Twilio SDK's absolute https://api.twilio.com requests to <c>Twilio:ApiBaseUrl</c> instead.</summary>
internal sealed class TwilioApiBaseUrl(Uri baseUrl) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { Host: "api.twilio.com" } uri)
            request.RequestUri = new Uri(baseUrl, uri.PathAndQuery);
        return base.SendAsync(request, cancellationToken);
    }
}
