using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Text.Json;
using System.Text.Json.Serialization;
using Helpline.Queue;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Infrastructure;

/// <summary>A signed-in member of staff: their browser for the JSON API and the real SignalR client.</summary>
public sealed partial class StaffSession(HelplineApp app, HttpClient browser, string cookie)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public HttpClient Browser { get; } = browser;

    public string Cookie { get; } = cookie;

    public HubConnection Hub() => new HubConnectionBuilder()
        .WithUrl("https://localhost/hubs/queue", options =>
        {
            options.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            options.Transports = HttpTransportType.LongPolling;
            options.Headers["Cookie"] = Cookie;
        })
        .AddJsonProtocol(options => options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    /// <summary>The hub as a browser's page connects: a cookie the server renews while connecting (fresh roles) is sent on from then on.</summary>
    public HubConnection BrowserHub()
    {
        var jar = new System.Net.CookieContainer();
        jar.SetCookies(new Uri("https://localhost"), Cookie);
        return new HubConnectionBuilder()
            .WithUrl("https://localhost/hubs/queue", options =>
            {
                options.HttpMessageHandlerFactory = _ => new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(jar) { InnerHandler = app.Server.CreateHandler() };
                options.Transports = HttpTransportType.LongPolling;
            })
            .AddJsonProtocol(options => options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
    }

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) =>
        body is null ? Browser.PostAsync(path, null) : Browser.PostAsJsonAsync(path, body, Json);

    public Task<HttpResponseMessage> PutAsync(string path, object body) => Browser.PutAsJsonAsync(path, body, Json);

    /// <summary>Posts a page's form as a browser would: the page first (for its antiforgery token), then the fields, then any redirect.</summary>
    public async Task<(HttpResponseMessage Response, string Html)> SubmitAsync(string pagePath, string postPath, Dictionary<string, string> fields) =>
        await SubmitAsync(postPath, fields, await FormTokenAsync(pagePath));

    /// <summary>The antiforgery token of the forms on a page, as the browser holds it while the page is open.</summary>
    public async Task<string> FormTokenAsync(string pagePath) => await Browser.TokenAsync(pagePath);

    /// <summary>Posts a form from a page loaded earlier (with that page's token); follows a redirect; the page as text, decoded.</summary>
    public async Task<(HttpResponseMessage Response, string Html)> SubmitAsync(string postPath, Dictionary<string, string> fields, string token)
    {
        var response = await Browser.PostAsync(postPath, new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token }));
        // Post, redirect, get: the browser follows to the page that shows what happened.
        if (response.StatusCode is System.Net.HttpStatusCode.Found or System.Net.HttpStatusCode.SeeOther && response.Headers.Location is { } location)
            response = await Browser.GetAsync(location);
        return (response, System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    public async Task<QueueSnapshot> QueueAsync() => (await Browser.GetFromJsonAsync<QueueSnapshot>("/api/queue", Json))!;
}
