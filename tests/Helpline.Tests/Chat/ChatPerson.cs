using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Helpline.Chat;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Chat;

/// <summary>
/// A person chatting, as the chat page does it: the page (for its antiforgery token), the start,
/// the secret kept by "the tab", a fresh token for each connection, and the real SignalR client.
/// Everything the hub pushes is kept, so a test can wait for what the person would see.
/// </summary>
public sealed class ChatPerson(HelplineApp app, HttpClient browser, string secret) : IAsyncDisposable
{
    public string Secret { get; } = secret;
    public HttpClient Browser { get; } = browser;
    public ConcurrentQueue<ChatMessageView> Messages { get; } = new();
    public ConcurrentQueue<ChatStatusView> Statuses { get; } = new();
    public int TypingSeen;
    public int ReadUpTo;
    private readonly List<HubConnection> _connections = [];

    /// <summary>Opens the chat page and starts a chat from it; fails the test unless the chat starts.</summary>
    public static async Task<ChatPerson> StartAsync(HelplineApp app, string? nickname = null, string lang = "en", string address = "10.9.0.1")
    {
        var (browser, response) = await TryStartAsync(app, nickname, lang, address);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var started = (await response.Content.ReadFromJsonAsync<ChatApi.StartResponse>(StaffSession.Json))!;
        return new ChatPerson(app, browser, started.Secret);
    }

    public static async Task<(HttpClient Browser, HttpResponseMessage Response)> TryStartAsync(HelplineApp app, string? nickname = null, string lang = "en", string address = "10.9.0.1", bool withToken = true)
    {
        var browser = app.CreateBrowser();
        browser.DefaultRequestHeaders.Add(ClientAddressFromTestHeader.Header, address);
        var token = await browser.TokenAsync(lang == "es" ? "/chat?lang=es" : "/chat");
        var request = new HttpRequestMessage(HttpMethod.Post, "/chat/api/start") { Content = JsonContent.Create(new { nickname, lang }) };
        if (withToken)
            request.Headers.Add("RequestVerificationToken", token);
        return (browser, await browser.SendAsync(request));
    }

    /// <summary>What the page does before each connection: the secret for a short-lived token.</summary>
    public async Task<HttpResponseMessage> TokenResponseAsync() =>
        await Browser.PostAsJsonAsync("/chat/api/token", new { secret = Secret });

    public async Task<string> TokenAsync()
    {
        var response = await TokenResponseAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ChatApi.TokenResponse>(StaffSession.Json))!.Token;
    }

    /// <summary>A connection as the page opens one (each with a fresh token), joined, with what it missed after <paramref name="afterSequence"/>.</summary>
    public async Task<(HubConnection Hub, ChatJoinView Joined)> ConnectAsync(int afterSequence = 0)
    {
        var hub = Hub(app, async () => await TokenAsync());
        hub.On<ChatMessageView>("Message", Messages.Enqueue);
        hub.On<ChatStatusView>("Status", Statuses.Enqueue);
        hub.On("Typing", () => Interlocked.Increment(ref TypingSeen));
        hub.On<int>("Read", sequence => ReadUpTo = Math.Max(ReadUpTo, sequence));
        await hub.StartAsync();
        _connections.Add(hub);
        var joined = await hub.InvokeAsync<ChatJoinView>("Join", afterSequence);
        return (hub, joined);
    }

    public static HubConnection Hub(HelplineApp app, Func<Task<string?>> token, string? cookie = null) => new HubConnectionBuilder()
        .WithUrl("https://localhost/hubs/chat", options =>
        {
            options.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            options.Transports = HttpTransportType.LongPolling;
            options.AccessTokenProvider = token;
            if (cookie is not null)
                options.Headers["Cookie"] = cookie;
        })
        .AddJsonProtocol(options => options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    public async Task<ChatSendView> SendAsync(HubConnection hub, string text, string? clientId = null) =>
        await hub.InvokeAsync<ChatSendView>("Send", clientId ?? Guid.NewGuid().ToString("N"), text);

    /// <summary>Waits (generously) until the person's screen has a message saying <paramref name="text"/>.</summary>
    public async Task<ChatMessageView> SeesAsync(string text)
    {
        await Helpline.Tests.Queue.QueueFlows.EventuallyAsync(() => Messages.Any(m => m.Text == text), $"the person sees \"{text}\"");
        return Messages.First(m => m.Text == text);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hub in _connections)
            await hub.DisposeAsync();
        Browser.Dispose();
    }
}
