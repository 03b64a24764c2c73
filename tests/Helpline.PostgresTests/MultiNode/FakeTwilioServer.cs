using System.Net;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Helpline.Tests.MultiNode;

/// <summary>
/// Twilio's REST API for app processes: the in-process <see cref="FakeTwilioApi"/> served on a
/// loopback port, so nodes started with <c>Twilio:ApiBaseUrl</c> reach it and every request is recorded.
/// </summary>
public sealed class FakeTwilioServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _invoker;

    private FakeTwilioServer(WebApplication app)
    {
        _app = app;
        _invoker = new HttpMessageInvoker(Api);
    }

    public FakeTwilioApi Api { get; } = new();

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<FakeTwilioServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeTwilioServer(app);
        app.Run(server.ForwardAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUri = new Uri($"http://127.0.0.1:{new Uri(address).Port}");
        return server;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), "https://api.twilio.com" + context.Request.Path + context.Request.QueryString)
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        using var response = await _invoker.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await context.Response.Body.WriteAsync(await response.Content.ReadAsByteArrayAsync());
    }

    public async ValueTask DisposeAsync()
    {
        _invoker.Dispose();
        await _app.DisposeAsync();
    }
}
