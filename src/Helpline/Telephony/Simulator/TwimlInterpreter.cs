using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Helpline.Telephony.Simulator;

/// <summary>
/// Twilio's side of a simulated call: posts the app's webhooks exactly as Twilio does (same parameters,
/// signed with the token the app checks), and walks the TwiML the app answers, verb by verb, until the
/// call waits for a person, for the queue or for a dial, or ends. TwiML it does not understand fails loudly.
/// </summary>
internal sealed class TwimlInterpreter(
    SimulatorState state,
    IHttpClientFactory httpClients,
    IOptions<TwilioOptions> twilio,
    IOptions<SimulatorOptions> options,
    TimeProvider clock,
    IServer? server)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>The number's "A call comes in" webhook.</summary>
    public Uri VoiceUrl => new(PublicBase + options.Value.VoiceUrlPath);

    // ---- TwiML ----

    public async Task RunAsync(SimulatedCall call, (XDocument Twiml, Uri Url) document, bool inWaitContext = false)
    {
        var root = document.Twiml.Root;
        if (root?.Name.LocalName != "Response")
            throw new SimulatorException($"TwiML from {document.Url.PathAndQuery} has no <Response> root.");
        await ContinueAsync(call, new Continuation([.. root.Elements()], document.Url, inWaitContext));
    }

    /// <summary>Runs TwiML verbs in order until one waits for a person or for the queue, as Twilio does.</summary>
    public async Task ContinueAsync(SimulatedCall call, Continuation program)
    {
        var verbs = program.Verbs;
        for (var i = 0; i < verbs.Count; i++)
        {
            if (call.Ended)
                return;
            var rest = program with { Verbs = [.. verbs.Skip(i + 1)] };
            if (!await RunVerbAsync(call, verbs[i], program, rest))
                return;
        }
        await RunOutAsync(call, program);
    }

    /// <summary>Runs one verb; true when the next verb follows, false when the call now waits, has moved on, or has ended.</summary>
    private async Task<bool> RunVerbAsync(SimulatedCall call, XElement verb, Continuation program, Continuation rest)
    {
        switch (verb.Name.LocalName)
        {
            case "Say" or "Play" or "Pause":
                Hear(call, verb);
                return true;
            case "Gather":
                Gather(call, verb, program, rest);
                return false;
            case "Enqueue":
                RequireCallContext(verb, program);
                await EnqueueAsync(call, verb, program, rest);
                return false;
            case "Leave":
                if (!program.InWaitContext || call.Queue is null)
                    throw new SimulatorException("<Leave> only works in a queue's wait URL.");
                await LeaveQueueAsync(call, "leave", runActionTwiml: true);
                return false;
            case "Redirect":
                var target = Resolve(verb.Value.Trim(), program.DocumentUrl) ?? throw new SimulatorException("<Redirect> without a URL.");
                await RunAsync(call, await PostAsync(call, target, []), program.InWaitContext);
                return false;
            case "Hangup":
                if (call.Queue is not null)
                    await LeaveQueueAsync(call, "hangup", runActionTwiml: false);
                await EndAsync(call, "completed");
                return false;
            case "Record":
                RequireCallContext(verb, program);
                Record(call, verb, program, rest);
                return false;
            case "Dial":
                RequireCallContext(verb, program);
                Dial(call, verb, rest, program.DocumentUrl);
                return false;
            default:
                throw Unsupported(verb, "");
        }
    }

    /// <summary>The TwiML ran out without waiting anywhere.</summary>
    private async Task RunOutAsync(SimulatedCall call, Continuation program)
    {
        if (program.InWaitContext)
        {
            // The wait TwiML ended: hold music until Twilio asks the wait URL again.
            call.Waiting = new HoldPoint(program);
            call.State = "in the queue, on hold";
            return;
        }
        // Twilio hangs up when the TwiML runs out.
        await EndAsync(call, "completed");
    }

    private void Gather(SimulatedCall call, XElement gather, Continuation program, Continuation rest)
    {
        foreach (var child in gather.Elements())
        {
            if (child.Name.LocalName is not ("Say" or "Play" or "Pause"))
                throw Unsupported(child, "inside <Gather>");
            Hear(call, child);
        }
        call.Waiting = new GatherPoint(rest, Resolve(gather.Attribute("action")?.Value, program.DocumentUrl),
            int.TryParse(gather.Attribute("numDigits")?.Value, out var n) ? n : null,
            gather.Attribute("finishOnKey")?.Value ?? "#",
            string.Equals(gather.Attribute("actionOnEmptyResult")?.Value, "true", StringComparison.OrdinalIgnoreCase));
        call.State = program.InWaitContext ? "in the queue, listening for keys" : "listening for keys";
    }

    private async Task EnqueueAsync(SimulatedCall call, XElement enqueue, Continuation program, Continuation rest)
    {
        call.Queue = new QueueMembership(enqueue.Value.Trim(), Resolve(enqueue.Attribute("waitUrl")?.Value, program.DocumentUrl),
            Resolve(enqueue.Attribute("action")?.Value, program.DocumentUrl), Now, rest);
        state.Enqueue(call.Sid);
        call.Write("twilio", $"Enters Twilio's queue \"{call.Queue.Name}\"", Now);
        await RunWaitUrlAsync(call);
    }

    private void Record(SimulatedCall call, XElement record, Continuation program, Continuation rest)
    {
        call.Write("twilio", "Beep: recording", Now);
        call.Waiting = new RecordPoint(rest, Resolve(record.Attribute("action")?.Value, program.DocumentUrl),
            int.TryParse(record.Attribute("maxLength")?.Value, out var max) ? max : 3600);
        call.State = "recording a message";
    }

    private void Dial(SimulatedCall call, XElement dial, Continuation rest, Uri documentUrl)
    {
        var action = Resolve(dial.Attribute("action")?.Value, documentUrl);
        var nouns = dial.Elements().ToList();
        if (nouns is [{ Name.LocalName: "Conference" } conference])
        {
            JoinConference(call, conference, new DialPoint(rest, action));
            return;
        }
        call.DialledNumber = nouns switch
        {
            [] => dial.Value.Trim(),
            [{ Name.LocalName: "Number" } number] => number.Value.Trim(),
            _ => throw Unsupported(nouns[0], "inside <Dial>"),
        };
        if (string.IsNullOrEmpty(call.DialledNumber))
            throw new SimulatorException("<Dial> without a number.");
        call.Waiting = new DialPoint(rest, action);
        call.State = "connected to another number";
        call.Write("twilio", "Dials another number (the simulator rings no real phone)", Now);
    }

    private void JoinConference(SimulatedCall call, XElement conference, DialPoint dial)
    {
        var name = conference.Value.Trim();
        state.JoinConference(name, call.Sid,
            startOnEnter: !string.Equals(conference.Attribute("startConferenceOnEnter")?.Value, "false", StringComparison.OrdinalIgnoreCase),
            endOnExit: string.Equals(conference.Attribute("endConferenceOnExit")?.Value, "true", StringComparison.OrdinalIgnoreCase));
        call.Conference = name;
        call.Waiting = dial;
        call.State = $"in conference {name}";
        call.Write("twilio", $"Joins conference {name}", Now);
    }

    // ---- Queue, conference and the end of a call ----

    public async Task RunWaitUrlAsync(SimulatedCall call)
    {
        var queue = call.Queue!;
        if (queue.WaitUrl is null)
        {
            call.Waiting = new HoldPoint(new Continuation([], queue.AfterEnqueue.DocumentUrl, InWaitContext: true));
            call.State = "in the queue, on hold";
            return;
        }
        var (position, size) = state.QueuePlace(call.Sid);
        var waited = (int)(Now - queue.EnqueuedAt).TotalSeconds;
        var twiml = await PostAsync(call, queue.WaitUrl, new()
        {
            ["QueuePosition"] = position.ToString(CultureInfo.InvariantCulture),
            ["QueueSid"] = QueueSid(queue.Name),
            ["QueueTime"] = waited.ToString(CultureInfo.InvariantCulture),
            ["AvgQueueTime"] = waited.ToString(CultureInfo.InvariantCulture),
            ["CurrentQueueSize"] = size.ToString(CultureInfo.InvariantCulture),
            ["MaxQueueSize"] = "100",
        });
        await RunAsync(call, twiml, inWaitContext: true);
    }

    public async Task LeaveQueueAsync(SimulatedCall call, string result, bool runActionTwiml)
    {
        var queue = call.Queue!;
        call.Queue = null;
        call.Waiting = null;
        state.Dequeue(call.Sid);
        call.Write("twilio", $"Leaves Twilio's queue ({result})", Now);
        var parameters = new Dictionary<string, string>
        {
            ["QueueResult"] = result,
            ["QueueSid"] = QueueSid(queue.Name),
            ["QueueTime"] = ((int)(Now - queue.EnqueuedAt).TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        if (queue.Action is null)
        {
            if (runActionTwiml)
                await ContinueAsync(call, queue.AfterEnqueue);
            return;
        }
        var twiml = await PostAsync(call, queue.Action, parameters);
        if (runActionTwiml)
            await RunAsync(call, twiml);
    }

    public async Task EndAsync(SimulatedCall call, string status)
    {
        if (call.Ended)
            return;
        call.Status = status;
        call.EndedAt = Now;
        call.Waiting = null;
        call.State = "ended: " + status;
        call.Write("twilio", $"Call ends ({status})", Now);
        state.Dequeue(call.Sid);
        LeaveConference(call);
        await StatusCallbackAsync(call, "completed");
    }

    /// <summary>Takes the call out of its conference; if it was to end the conference on exit, the others' Dial ends too.</summary>
    public void LeaveConference(SimulatedCall call)
    {
        if (call.Conference is not { } name)
            return;
        call.Conference = null;
        foreach (var sid in state.LeaveConference(name, call.Sid))
            EndDialInConference(state.Get(sid), name);
    }

    /// <summary>The conference ended under another call: its Dial ends, on that call's own turn.</summary>
    private void EndDialInConference(SimulatedCall other, string name)
    {
        other.Write("twilio", $"Conference {name} ended", Now);
        state.Background(other, async () =>
        {
            if (other.Ended || other.Waiting is not DialPoint dial)
                return;
            other.Conference = null;
            other.Waiting = null;
            if (dial.Action is { } action)
                await RunAsync(other, await PostAsync(other, action, new() { ["DialCallStatus"] = "completed" }));
            else
                await ContinueAsync(other, dial.Rest);
        });
    }

    // ---- Webhooks ----

    public async Task StatusCallbackAsync(SimulatedCall call, string callbackEvent, string? status = null)
    {
        var url = call.Direction == "inbound" ? new Uri(PublicBase + options.Value.StatusCallbackPath) : call.StatusCallback;
        if (url is null || (call.Direction == "inbound" && callbackEvent != "completed"))
            return;
        var parameters = new Dictionary<string, string>
        {
            ["CallStatus"] = status ?? call.Status,
            ["StatusCallbackEvent"] = callbackEvent,
            ["SequenceNumber"] = call.NextSequence().ToString(CultureInfo.InvariantCulture),
            ["Timestamp"] = Now.ToString("R", CultureInfo.InvariantCulture),
            ["CallbackSource"] = "call-progress-events",
        };
        if (call.EndedAt is { } ended)
            parameters["CallDuration"] = ((int)(ended - (call.AnsweredAt ?? ended)).TotalSeconds).ToString(CultureInfo.InvariantCulture);
        await PostAsync(call, url, parameters, expectTwiml: false);
    }

    /// <summary>Posts a webhook for the call, with the parameters Twilio sends on every request plus <paramref name="extra"/>, and reads the TwiML answered.</summary>
    public async Task<(XDocument Twiml, Uri Url)> PostAsync(SimulatedCall call, Uri url, Dictionary<string, string> extra, bool expectTwiml = true)
    {
        var parameters = BaseParameters(call);
        foreach (var (key, value) in extra)
            parameters[key] = value;
        var pathAndQuery = url.PathAndQuery;
        var request = SignedRequest(pathAndQuery, parameters);
        call.Write("webhook", $"POST {pathAndQuery} {string.Join(" ", extra.Where(e => e.Key is not ("Timestamp" or "CallbackSource")).Select(e => $"{e.Key}={e.Value}"))}".TrimEnd(), Now);

        using var response = await httpClients.CreateClient(TwilioSimulator.HttpClientName).SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            call.Write("error", $"The app answered {(int)response.StatusCode} to {pathAndQuery}", Now);
            throw new SimulatorException($"The app answered {(int)response.StatusCode} to {pathAndQuery}: Twilio would play its application-error message and hang up.");
        }
        if (!expectTwiml)
            return (new XDocument(new XElement("Response")), url);
        return (ParseTwiml(call, body, pathAndQuery), new Uri(PublicBase + pathAndQuery));
    }

    /// <summary>Posts one of Twilio's messaging webhooks (a text in, or a status report); returns the app's answer.</summary>
    public async Task<string> PostTextAsync(string path, Dictionary<string, string> parameters)
    {
        var request = SignedRequest(path, parameters);
        using var response = await httpClients.CreateClient(TwilioSimulator.HttpClientName).SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new SimulatorException($"The app answered {(int)response.StatusCode} to {path}.");
        return await response.Content.ReadAsStringAsync();
    }

    private XDocument ParseTwiml(SimulatedCall call, string body, string pathAndQuery)
    {
        try
        {
            var twiml = XDocument.Parse(body);
            call.Write("twiml", twiml.Root!.ToString(SaveOptions.DisableFormatting), Now);
            return twiml;
        }
        catch (XmlException)
        {
            call.Write("error", $"{pathAndQuery} answered something that is not TwiML", Now);
            throw new SimulatorException($"{pathAndQuery} answered something that is not TwiML.");
        }
    }

    private HttpRequestMessage SignedRequest(string pathAndQuery, Dictionary<string, string> parameters)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, AppBase + pathAndQuery) { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", Sign(PublicBase + pathAndQuery, parameters));
        return request;
    }

    private static Dictionary<string, string> BaseParameters(SimulatedCall call) => new()
    {
        ["CallSid"] = call.Sid,
        ["AccountSid"] = TwilioSimulator.AccountSid,
        ["From"] = call.From,
        ["To"] = call.To,
        ["Caller"] = call.From,
        ["Called"] = call.To,
        ["CallStatus"] = call.Status,
        ["ApiVersion"] = "2010-04-01",
        ["Direction"] = call.Direction,
        ["CallerName"] = call.CallerName ?? "",
        ["FromState"] = call.FromState ?? "",
        ["FromCountry"] = call.From.StartsWith("+1", StringComparison.Ordinal) ? "US" : "",
        ["ToCountry"] = "US",
    };

    private string Sign(string url, Dictionary<string, string> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(key).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(twilio.Value.AuthToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>The URL Twilio would call: the configured public base URL, else the app's own address.</summary>
    private string PublicBase => string.IsNullOrEmpty(twilio.Value.PublicBaseUrl) ? AppBase : twilio.Value.PublicBaseUrl.TrimEnd('/');

    private string AppBase
    {
        get
        {
            if (!string.IsNullOrEmpty(options.Value.AppBaseUrl))
                return options.Value.AppBaseUrl.TrimEnd('/');
            var address = server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new SimulatorException("The simulator does not know the app's address; set Simulator:AppBaseUrl.");
            return address.Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://localhost").Replace("://+", "://localhost").Replace("://*", "://localhost").TrimEnd('/');
        }
    }

    // ---- Helpers ----

    private void Hear(SimulatedCall call, XElement verb)
    {
        var text = verb.Name.LocalName switch
        {
            "Say" => $"[{verb.Attribute("language")?.Value ?? "en-US"}] {verb.Value}",
            "Play" => "plays " + verb.Value.Trim(),
            _ => $"pause {verb.Attribute("length")?.Value ?? "1"} s",
        };
        call.Write(verb.Name.LocalName.ToLowerInvariant(), text, Now);
    }

    private static void RequireCallContext(XElement verb, Continuation program)
    {
        if (program.InWaitContext)
            throw new SimulatorException($"<{verb.Name.LocalName}> is not allowed in a queue's wait URL.");
    }

    private static SimulatorException Unsupported(XElement verb, string where) =>
        new($"The simulator does not understand <{verb.Name.LocalName}>{(where.Length > 0 ? " " + where : "")}; Twilio's behaviour cannot be guessed, so it stops here.");

    private static Uri? Resolve(string? url, Uri documentUrl) =>
        string.IsNullOrWhiteSpace(url) ? null : new Uri(documentUrl, url.Trim());

    private static string QueueSid(string name) => "QU" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..32];
}
