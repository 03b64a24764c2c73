using System.Net;
using System.Text;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Infrastructure;

/// <summary>
/// Whole hostile requests, not only hostile fields: every anonymous route and every /twilio route
/// the app maps, with any method, charset and content type, bodies that are oversized, cut short,
/// binary, JSON or multipart, keys repeated, and odd Unicode in the path.
/// </summary>
public sealed partial class BadInputTests
{
    private static readonly string?[] ContentTypes =
    [
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded; charset=utf-7",
        "application/x-www-form-urlencoded; charset=UNICODE-1-1-UTF-7", "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/x-www-form-urlencoded; charset=utf-16", "application/x-www-form-urlencoded; charset=utf-32BE", "application/x-www-form-urlencoded; charset=no-such-charset",
        "application/x-www-form-urlencoded; charset=\"utf-8\"", "application/x-www-form-urlencoded; charset=", "application/x-www-form-urlencoded; charset=utf-8; charset=utf-7",
        "multipart/form-data; boundary=hx", "multipart/form-data", "multipart/form-data; boundary=", "application/json", "application/json; charset=utf-7",
        "application/json; charset=no-such-charset", "text/plain", "application/xml", "text/html; charset=shift_jis", "garbage/;;;", "*/*", null,
    ];

    private static readonly string[] Methods = ["POST", "POST", "POST", "POST", "GET", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"];

    /// <summary>Path segments (no %00: the test server refuses it before the app, as Kestrel does with a 400).</summary>
    private static readonly string[] PathValues =
    [
        "1", "0", "-1", "99999999999999999999", "ny", "NY", "new-york", "zz", "new%20york", "%01", "..", "%2e%2e", "%F0%9F%98%80", "%E2%80%AE", "%ED%A0%80",
        "%C0%AF", "a%2Fb", "CA" + new string('0', 32), new string('a', 300),
    ];

    private sealed record Route(RoutePattern Pattern, bool IsTwilio);

    private enum BodyKind { Form, Garbled, Binary, Oversized, Json, Multipart, Empty }

    [Fact]
    public async Task GeneratedRequestsToEveryAnonymousAndTwilioRouteNeverFailAndRefusedOnesStoreNothing()
    {
        var routes = AnonymousRoutes();
        Assert.Contains(routes, r => r.IsTwilio);
        Assert.Contains(routes, r => r.Pattern.RawText!.Contains("get-help"));
        var browser = _app.CreateBrowser();
        var twilio = _app.CreateClient();
        var token = await browser.TokenAsync("/get-help");
        var sids = Enumerable.Range(0, 6).Select(_ => Calls.NewCallSid()).ToArray();
        var gen = Gen.Select(
            Gen.Select(Gen.OneOf(routes.ToArray()), Gen.OneOf(PathValues).Array[3], Gen.OneOf(Methods), Gen.OneOf(ContentTypes)),
            Gen.Select(Fields([.. TwilioFields, .. FormFields, "Email", "Password"]), Gen.OneOf(sids), Gen.Frequency((6, Gen.Const(BodyKind.Form)), (2, Gen.Const(BodyKind.Garbled)),
                (1, Gen.Const(BodyKind.Binary)), (1, Gen.Const(BodyKind.Oversized)), (1, Gen.Const(BodyKind.Json)), (1, Gen.Const(BodyKind.Multipart)), (1, Gen.Const(BodyKind.Empty)))),
            Gen.Select(Gen.Frequency((17, Gen.Const(true)), (3, Gen.Const(false))), Gen.Bool, Gen.Int[1, 250], Gen.Byte.Array[0, 512]));

        var stored = await StoredAsync();
        await gen.SampleAsync(async (target, content, options) =>
        {
            var (route, pathValues, method, contentType) = target;
            var (generated, sid, kind) = content;
            var (signed, withToken, address, bytes) = options;
            var path = Fill(route.Pattern, pathValues) + (route.IsTwilio && route.Pattern.RawText!.Contains("bridge") ? "?contact=1" : "");
            // Repeated keys on purpose: a real call's parameters, then the generated ones, some of the same names.
            var fields = route.IsTwilio ? Calls.Inbound(sid).Select(p => (p.Key, p.Value)).Concat(generated).ToArray() : generated;
            if (withToken && !route.IsTwilio)
                fields = fields.Append(("__RequestVerificationToken", token)).ToArray();
            var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Body(kind, fields, bytes, contentType) };
            request.Headers.Add(ClientAddressFromTestHeader.Header, $"10.3.{address}.{address % 11}");
            if (route.IsTwilio && signed)
                request.Headers.Add("X-Twilio-Signature", TwilioSigning.Sign(HelplineApp.AuthToken, "http://localhost" + path, ServerView(fields)));

            var response = await (route.IsTwilio ? twilio : browser).SendAsync(request);
            Interlocked.Increment(ref _tried);

            Assert.True((int)response.StatusCode < 500, $"{method} {path} ({contentType}, {kind}) answered {(int)response.StatusCode}: {LastError()}");
            var accepted = route.IsTwilio
                ? (int)response.StatusCode < 400
                : response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.StartsWith("/get-help/thanks");
            // Only an accepted request may change what is stored.
            var now = await StoredAsync();
            if (!accepted)
                Assert.Equal(stored, now);
            stored = now;
            if (route.IsTwilio && !signed)
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }, iter: Iterations(600), threads: 1, seed: null);

        output.WriteLine($"{_tried} generated requests to {routes.Count} routes");
    }

    /// <summary>The anonymous endpoints the app maps (pages, /healthz, the directory's pages) and every /twilio one.</summary>
    private List<Route> AnonymousRoutes()
    {
        _app.CreateClient().Dispose();
        return [.. _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null)
            .Select(e => new Route(e.RoutePattern, (e.RoutePattern.RawText ?? "").TrimStart('/').StartsWith("twilio", StringComparison.Ordinal)))];
    }

    private static string Fill(RoutePattern pattern, string[] values)
    {
        var path = new StringBuilder();
        var next = 0;
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart => values[next++ % values.Length],
                    _ => "",
                });
        }
        return path.Length == 0 ? "/" : path.ToString();
    }

    private static HttpContent Body(BodyKind kind, (string Name, string Value)[] fields, byte[] bytes, string? contentType)
    {
        var body = kind switch
        {
            BodyKind.Form => Encoding.UTF8.GetBytes(Encode(fields)),
            BodyKind.Garbled => Encoding.UTF8.GetBytes("%%%ZZ&&==&Name=%E0%A4%A&" + Encode(fields) + "&%"),
            BodyKind.Binary => bytes,
            // Over Twilio's 64 kB and the forms' own limits, under what a test should send.
            BodyKind.Oversized => Encoding.UTF8.GetBytes(Encode(fields) + "&Big=" + new string('x', 70_000 + bytes.Length * 100)),
            BodyKind.Json => Encoding.UTF8.GetBytes("{\"CallSid\": [\"" + string.Concat(fields.Select(f => f.Value.Replace("\"", ""))) + "\", {\"a\":"),
            BodyKind.Multipart => Encoding.UTF8.GetBytes("--hx\r\nContent-Disposition: form-data; name=\"Body\"\r\n\r\n" + Encode(fields) + "\r\n--hx\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nabc"),
            _ => [],
        };
        var content = new ByteArrayContent(body);
        if (contentType is not null)
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }
}
