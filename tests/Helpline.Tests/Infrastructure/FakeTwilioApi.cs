using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Helpline.Tests.Infrastructure;

/// <summary>
/// Twilio's REST API, in process, under the real Twilio SDK: it answers calls to create and update
/// calls and messages the way Twilio does (JSON with a new SID) and records every request.
/// </summary>
public sealed partial class FakeTwilioApi : HttpMessageHandler
{
    public const string AccountSid = "AC00000000000000000000000000000000";

    private readonly ConcurrentQueue<TwilioRequest> _requests = new();

    public IReadOnlyList<TwilioRequest> Requests => [.. _requests];

    /// <summary>Calls the app placed (POST …/Calls.json).</summary>
    public IReadOnlyList<TwilioRequest> CallsPlaced => [.. Requests.Where(r => r.CallSid is null && r.Path.EndsWith("/Calls.json"))];

    /// <summary>Updates to live calls (POST …/Calls/CA….json), e.g. redirects and hang-ups.</summary>
    public IReadOnlyList<TwilioRequest> CallUpdates => [.. Requests.Where(r => r.CallSid is not null)];

    /// <summary>Recordings the app deleted (DELETE …/Recordings/RE….json), by sid.</summary>
    public IReadOnlyList<string> RecordingsDeleted => [.. Requests.Where(r => r.Method == "DELETE" && r.Path.Contains("/Recordings/RE"))
        .Select(r => r.Path[(r.Path.LastIndexOf('/') + 1)..^".json".Length])];

    /// <summary>Texts the app sent (POST …/Messages.json).</summary>
    public IReadOnlyList<TwilioRequest> TextsSent => [.. Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/Messages.json"))];

    /// <summary>Messages the app deleted (DELETE …/Messages/SM….json or MM…), by sid.</summary>
    public IReadOnlyList<string> MessagesDeleted => [.. Requests.Where(r => r.Method == "DELETE" && MessagePath().IsMatch(r.Path)).Select(r => MessagePath().Match(r.Path).Groups[1].Value)];

    /// <summary>Numbers that replied STOP at Twilio: a text to one is refused with error 21610, as Twilio does.</summary>
    public HashSet<string> OptedOut { get; } = [];

    /// <summary>When set, every request fails as Twilio does when it refuses one.</summary>
    public bool Refuse { get; set; }

    /// <summary>
    /// When set, runs for each call placed, with its request and new SID, before the app has Twilio's
    /// answer: a phone that answers at once makes Twilio ask for the call's TwiML that early.
    /// </summary>
    public Func<TwilioRequest, string, Task>? OnCallPlaced { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri!.Host != "api.twilio.com")
            throw new InvalidOperationException($"The app called {request.RequestUri.Host}, not Twilio's API.");
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var form = body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .GroupBy(p => WebUtility.UrlDecode(p[0]), p => WebUtility.UrlDecode(p.ElementAtOrDefault(1) ?? ""))
            .ToDictionary(g => g.Key, g => g.ToList());
        var path = request.RequestUri.AbsolutePath;
        var match = CallPath().Match(path);
        var recorded = new TwilioRequest(request.Method.Method, path, match.Success ? match.Groups[1].Value : null, form);
        _requests.Enqueue(recorded);

        if (Refuse)
            return Json(HttpStatusCode.BadRequest, """{"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}""");
        if (path.EndsWith("/Calls.json"))
        {
            var sid = "CA" + Hex();
            if (OnCallPlaced is { } placed)
                await placed(recorded, sid);
            return Json(HttpStatusCode.Created, $$"""{"sid": "{{sid}}", "account_sid": "{{AccountSid}}", "status": "queued"}""");
        }
        if (match.Success)
            return Json(HttpStatusCode.OK, $$"""{"sid": "{{match.Groups[1].Value}}", "account_sid": "{{AccountSid}}", "status": "in-progress"}""");
        if (request.Method == HttpMethod.Delete && RecordingPath().Match(path) is { Success: true } recording)
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        if (path.EndsWith("/Messages.json"))
        {
            lock (OptedOut)
            {
                if (recorded["To"] is { } to && OptedOut.Contains(to))
                    return Json(HttpStatusCode.BadRequest, """{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}""");
            }
            return Json(HttpStatusCode.Created, $$"""{"sid": "SM{{Hex()}}", "account_sid": "{{AccountSid}}", "status": "queued"}""");
        }
        if (request.Method == HttpMethod.Delete && MessagePath().IsMatch(path))
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        return Json(HttpStatusCode.NotFound, """{"code": 20404, "message": "Not found", "status": 404}""");
    }

    private static string Hex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    [GeneratedRegex(@"/Calls/(CA[0-9a-fA-F]{32})\.json$")]
    private static partial Regex CallPath();

    [GeneratedRegex(@"/Messages/((?:SM|MM)[0-9a-fA-F]{32})\.json$")]
    private static partial Regex MessagePath();

    [GeneratedRegex(@"/Recordings/(RE[0-9a-fA-F]{32})\.json$")]
    private static partial Regex RecordingPath();
}

public sealed record TwilioRequest(string Method, string Path, string? CallSid, Dictionary<string, List<string>> Form)
{
    public string? this[string name] => Form.TryGetValue(name, out var values) ? values[0] : null;
}
