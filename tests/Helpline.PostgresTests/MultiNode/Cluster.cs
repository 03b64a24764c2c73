using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Helpline.PostgresTests.Servers;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.MultiNode;

/// <summary>
/// Two real app processes behind a real nginx, on one PostgreSQL database and one Redis, with a stub
/// of Twilio's REST API: the topology deploy/ describes, from Debian's packages. An in-process app on
/// the same database (<see cref="Admin"/>, its job server off) creates staff and reads the database.
/// </summary>
public sealed class Cluster : IAsyncLifetime
{
    public const string PublicBaseUrl = "https://helpline.test";

    private string? _database;

    /// <summary>Why these tests cannot run here (a server not installed), or null.</summary>
    public string? Unavailable { get; private set; }

    public HelplineApp Admin { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public NginxServer Nginx { get; private set; } = null!;
    public FakeTwilioServer Twilio { get; private set; } = null!;
    public List<AppNode> Nodes { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Unavailable = PostgresServer.Shared.Unavailable ?? RedisServer.Unavailable() ?? NginxServer.Unavailable();
        if (Unavailable is not null)
            return;

        _database = PostgresServer.Shared.CreateDatabase();
        Redis = await RedisServer.StartAsync();
        Twilio = await FakeTwilioServer.StartAsync();

        Admin = new HelplineApp(DateTimeOffset.UtcNow);
        Admin.Settings["ConnectionStrings:Helpline"] = _database;
        foreach (var day in Enum.GetNames<DayOfWeek>())
            Admin.Settings[$"Helpline:OpeningHours:{day}"] = "00:00-24:00";
        // The admin app starts first: it applies migrations and Hangfire's schema before any node.
        await Admin.CreateClient().GetAsync("/healthz");

        var environment = Admin.Settings
            .Where(s => s.Value is not null && !s.Key.StartsWith("Logging:", StringComparison.Ordinal) && !s.Key.StartsWith("Hangfire:", StringComparison.Ordinal))
            .ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["ConnectionStrings__Redis"] = Redis.ConnectionString;
        environment["Twilio__ApiBaseUrl"] = Twilio.BaseUri.ToString();
        environment["Twilio__PublicBaseUrl"] = PublicBaseUrl;
        environment["Hangfire__ServerEnabled"] = "true";
        environment["Database__ApplyMigrationsOnStart"] = "false";
        environment["SignIn__PerAddressPerWindow"] = "10000";
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Helpline"] = "Information";
        environment["Logging__Console__FormatterName"] = "simple";
        environment.Remove("DataProtection__KeysDirectory");

        foreach (var name in new[] { "A", "B" })
            Nodes.Add(new AppNode(name, LocalServer.FreePort(), environment));
        // One after the other: the second finds the schema and the key ring the first left.
        foreach (var node in Nodes)
            await node.StartAsync();
        Nginx = await NginxServer.StartAsync([.. Nodes.Select(n => n.Port)]);
    }

    public void RequireServers() => Assert.SkipWhen(Unavailable is not null, Unavailable ?? "");

    /// <summary>A browser-like client through nginx; with <paramref name="node"/>, pinned to that node (nginx still in between).</summary>
    public HttpClient Client(int? node = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Nginx.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (node is { } n)
            client.DefaultRequestHeaders.Add(NginxServer.NodeHeader, n.ToString());
        return client;
    }

    /// <summary>Signs in through nginx (the sign-in page from one node, the post perhaps to the other) and returns the session.</summary>
    public async Task<ClusterSession> SignInAsync(string email, int? node = null)
    {
        var client = Client(node);
        using var page = await client.GetAsync("/sign-in");
        page.EnsureSuccessStatusCode();
        var token = Forms.Token(await page.Content.ReadAsStringAsync());
        var antiforgery = CookiesOf(page).Where(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        using var post = new HttpRequestMessage(HttpMethod.Post, "/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = email,
                ["Password"] = HelplineApp.StaffPassword,
                ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", antiforgery));
        using var response = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = CookiesOf(response).Single(c => c.StartsWith("helpline.staff=", StringComparison.Ordinal));
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return new ClusterSession(this, client, cookie, node);
    }

    private static IEnumerable<string> CookiesOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]) : [];

    /// <summary>POSTs a webhook straight to one node, signed as Twilio signs it for the public URL.</summary>
    public async Task<HttpResponseMessage> PostTwilioAsync(AppNode node, string pathAndQuery, IReadOnlyDictionary<string, string> form)
    {
        using var client = new HttpClient { BaseAddress = node.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSigning.Sign(HelplineApp.AuthToken, PublicBaseUrl + pathAndQuery, form));
        return await client.SendAsync(request);
    }

    /// <summary>
    /// A caller dials node <paramref name="node"/> and presses 1: waiting in the queue. Returns the
    /// contact's id. <paramref name="pressing"/> runs just before the key press that queues them.
    /// </summary>
    public async Task<long> CallerWaitsAsync(AppNode node, string from, Action? pressing = null)
    {
        var sid = Infrastructure.Calls.NewCallSid();
        (await PostTwilioAsync(node, "/twilio/voice/incoming", Infrastructure.Calls.Inbound(sid, from: from))).EnsureSuccessStatusCode();
        pressing?.Invoke();
        var menu = await PostTwilioAsync(node, "/twilio/voice/menu?attempt=1", Infrastructure.Calls.Inbound(sid, from: from).With(("Digits", "1")));
        menu.EnsureSuccessStatusCode();
        Assert.True((await menu.TwimlAsync()).Has("//Enqueue"), "The caller should be put in the queue.");
        return await Admin.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Contacts.Where(c => c.CallSid == sid).Select(c => c.Id)));
    }

    /// <summary>Everything the nodes wrote, for a failing test's message.</summary>
    public string NodeOutput() => string.Join("\n", Nodes.Select(n => $"--- node {n.Name} ---\n{(n.Output.Length > 8000 ? n.Output[^8000..] : n.Output)}"));

    public async ValueTask DisposeAsync()
    {
        if (Unavailable is not null)
            return;
        if (Nginx is not null)
            await Nginx.DisposeAsync();
        foreach (var node in Nodes)
            await node.DisposeAsync();
        if (Twilio is not null)
            await Twilio.DisposeAsync();
        if (Redis is not null)
            await Redis.DisposeAsync();
        if (Admin is not null)
            await Admin.DisposeAsync();
        if (_database is not null)
            PostgresServer.Shared.DropDatabase(_database);
    }
}

/// <summary>A signed-in member of staff, through nginx.</summary>
public sealed class ClusterSession(Cluster cluster, HttpClient client, string cookie, int? node)
{
    public static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public HttpClient Client => client;

    public Task<HttpResponseMessage> PostAsync(string path) => client.PostAsync(path, null);

    public Task<HttpResponseMessage> PutAsync(string path, object body) => client.PutAsJsonAsync(path, body, Json);

    public async Task<Helpline.Queue.QueueSnapshot> QueueAsync() =>
        (await client.GetFromJsonAsync<Helpline.Queue.QueueSnapshot>("/api/queue", Json))!;

    public string Cookie => cookie;

    /// <summary>The real SignalR client on WebSockets through nginx, to the session's node.</summary>
    public HubConnection Hub() => HubOn(node);

    /// <summary>The same, to a given node: the session's cookie used from another node's side.</summary>
    public HubConnection HubOn(int? node) => new HubConnectionBuilder()
        .WithUrl(new Uri(cluster.Nginx.BaseUri, "/hubs/queue"), options =>
        {
            options.Transports = HttpTransportType.WebSockets;
            options.Headers["Cookie"] = cookie;
            if (node is { } n)
                options.Headers[NginxServer.NodeHeader] = n.ToString();
        })
        .WithAutomaticReconnect(Retries)
        .AddJsonProtocol(options => options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    /// <summary>
    /// The real client on WebSockets without negotiation, first to a given node, then wherever nginx
    /// sends it: as a dashboard moves to the other node when its own goes down.
    /// </summary>
    public HubConnection HubFirstOn(int node)
    {
        var first = true;
        return new HubConnectionBuilder()
            .WithUrl(new Uri(cluster.Nginx.BaseUri, "/hubs/queue"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.Headers["Cookie"] = cookie;
                options.WebSocketConfiguration = socket =>
                {
                    if (first)
                        socket.SetRequestHeader(NginxServer.NodeHeader, node.ToString());
                    first = false;
                };
            })
            .WithAutomaticReconnect(Retries)
            .AddJsonProtocol(options => options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
    }

    private static readonly TimeSpan[] Retries = [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)];
}
