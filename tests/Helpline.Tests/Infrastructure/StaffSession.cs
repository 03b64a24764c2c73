using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Helpline.Queue;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Infrastructure;

/// <summary>A signed-in member of staff: their browser for the JSON API and the real SignalR client.</summary>
public sealed class StaffSession(HelplineApp app, HttpClient browser, string cookie)
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

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) =>
        body is null ? Browser.PostAsync(path, null) : Browser.PostAsJsonAsync(path, body, Json);

    public Task<HttpResponseMessage> PutAsync(string path, object body) => Browser.PutAsJsonAsync(path, body, Json);

    public async Task<QueueSnapshot> QueueAsync() => (await Browser.GetFromJsonAsync<QueueSnapshot>("/api/queue", Json))!;
}
