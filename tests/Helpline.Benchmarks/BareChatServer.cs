using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using Helpline.Chat;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Helpline.Benchmarks;

/// <summary>
/// The web chat's floor, hosted by the benchmark itself (no part of the app): bare Kestrel on
/// loopback with one ASP.NET Core SignalR hub that relays a person's message to the connection of
/// the advisor paired with them. No database, no sign-in, no tokens: what is left is SignalR's own
/// cost for the same connections, the same calls and the same payloads as the app's chat.
/// </summary>
internal sealed class BareChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareChatServer(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    /// <param name="perAdvisor">How many people each advisor connection is paired with, as the app's chat limit.</param>
    public static async Task<BareChatServer> StartAsync(string directory, int perAdvisor)
    {
        // Content root: the temp folder, so no appsettings.json is read.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = directory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        // The app's hubs use the JSON protocol with enums as names; the floor does the same.
        builder.Services.AddSignalR().AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddSingleton(new BareChatPairs(perAdvisor));
        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<BareChatHub>("/hubs/chat");
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return new BareChatServer(app) { BaseUri = new Uri($"http://127.0.0.1:{address.Port}") };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Which advisor each person's conversation goes to, and each conversation's last message number (in memory).</summary>
internal sealed class BareChatPairs(int perAdvisor)
{
    private readonly ConcurrentDictionary<int, StrongBox> _sequences = new();

    public static string AdvisorGroup(int advisor) => $"advisor-{advisor}";

    public int AdvisorOf(int pair) => pair / perAdvisor;

    public int NextSequence(int pair) => Interlocked.Increment(ref _sequences.GetOrAdd(pair, _ => new StrongBox()).Value);

    private sealed class StrongBox
    {
        public int Value;
    }
}

/// <summary>
/// The bare relay. An advisor connection calls <see cref="Advise"/> once; a person's connection calls
/// <see cref="Join"/> with its pair number, then <see cref="Send"/> and <see cref="Typing"/> with the
/// same arguments as on the app's chat hub. A message goes to its advisor's group as the app's
/// <c>ChatMessage</c> with the app's <see cref="ChatMessageView"/>, and the sender gets a <see cref="ChatSendView"/>.
/// </summary>
internal sealed class BareChatHub(BareChatPairs pairs) : Hub
{
    private int Pair => (int)Context.Items["pair"]!;

    public Task Advise(int advisor) => Groups.AddToGroupAsync(Context.ConnectionId, BareChatPairs.AdvisorGroup(advisor));

    public void Join(int pair) => Context.Items["pair"] = pair;

    public async Task<ChatSendView> Send(string clientMessageId, string text)
    {
        var pair = Pair;
        var message = new ChatMessageView(pair, pairs.NextSequence(pair), ChatSender.Person, text, DateTime.UtcNow, clientMessageId);
        await Clients.Group(BareChatPairs.AdvisorGroup(pairs.AdvisorOf(pair))).SendAsync("ChatMessage", message);
        return new ChatSendView(SendOutcome.Sent, message, null);
    }

    public Task Typing() => Clients.Group(BareChatPairs.AdvisorGroup(pairs.AdvisorOf(Pair))).SendAsync("ChatTyping", (long)Pair);
}
