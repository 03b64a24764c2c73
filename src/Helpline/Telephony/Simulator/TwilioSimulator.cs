using System.Collections.Concurrent;
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

/// <summary>Section "Simulator".</summary>
public sealed class SimulatorOptions
{
    /// <summary>Use the simulator instead of Twilio. Default: on in Development when no Twilio account is configured.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Where the simulator sends its webhooks; default: the address the app listens on.</summary>
    public string? AppBaseUrl { get; set; }

    /// <summary>The number's "A call comes in" webhook, as set in Twilio's console.</summary>
    public string VoiceUrlPath { get; set; } = "/twilio/voice/incoming";

    /// <summary>The number's "Call status changes" webhook, as set in Twilio's console.</summary>
    public string StatusCallbackPath { get; set; } = "/twilio/voice/status";
}

/// <summary>The TwiML was something Twilio would refuse, or the person's action does not fit the call's state.</summary>
public sealed class SimulatorException(string message) : Exception(message);

public sealed record SimulatedMessage(DateTime At, string To, string From, string Body);

/// <summary>
/// Twilio, played faithfully on one machine: simulated calls that POST our webhooks exactly as Twilio
/// does (same parameters, signed with the token the app checks), follow the TwiML we answer, and
/// act out REST calls (redirect, create, hang up, send a text) with the webhooks and status callbacks
/// Twilio would send. People's parts (pressing keys, hanging up, answering) are driven from the
/// simulator page or its JSON API. TwiML it does not understand fails loudly.
/// </summary>
public sealed class TwilioSimulator(
    IHttpClientFactory httpClients,
    IOptions<TwilioOptions> twilio,
    IOptions<SimulatorOptions> options,
    IOptions<HelplineOptions> helpline,
    TimeProvider clock,
    ILogger<TwilioSimulator> logger,
    IServer? server = null) : ITelephonyGateway
{
    public const string HttpClientName = "twilio-simulator";
    public const string AccountSid = "ACsimulator0000000000000000000000";

    private readonly ConcurrentDictionary<string, SimulatedCall> _calls = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SimulatedCall>> _placedTo = new();
    private readonly List<string> _queue = [];
    private readonly Dictionary<string, List<Participant>> _conferences = [];
    private readonly ConcurrentQueue<SimulatedMessage> _messages = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentDictionary<string, DateTime> _deletedRecordings = new();
    private int _inFlight;

    public IReadOnlyList<SimulatedCall> Calls => [.. _calls.Values.OrderByDescending(c => c.StartedAt)];

    public IReadOnlyList<SimulatedMessage> Messages => [.. _messages];

    /// <summary>Everything that went wrong while acting out a REST request; also in the log and on the call.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    public SimulatedCall? Find(string sid) => _calls.GetValueOrDefault(sid);

    /// <summary>The calls the app has placed to <paramref name="number"/>, first first: how often that phone was rung.</summary>
    public IReadOnlyList<SimulatedCall> PlacedTo(string number) => _placedTo.TryGetValue(number, out var calls) ? [.. calls] : [];

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    // ---- People's side ----

    /// <summary>Someone dials the hotline from <paramref name="from"/> (E.164, or "anonymous").</summary>
    public async Task<SimulatedCall> CallInAsync(string from, string? callerName = null, string? fromState = null)
    {
        var call = new SimulatedCall
        {
            Sid = NewSid("CA"),
            From = from,
            To = helpline.Value.HotlineNumber,
            Direction = "inbound",
            StartedAt = Now,
            CallerName = callerName,
            FromState = fromState,
        };
        _calls[call.Sid] = call;
        await WithCallAsync(call, async () =>
        {
            call.Status = "ringing";
            call.Write("call", $"Incoming call to the hotline", Now);
            var twiml = await PostAsync(call, new Uri(PublicBase + options.Value.VoiceUrlPath), []);
            call.Status = "in-progress";
            call.AnsweredAt = Now;
            await RunAsync(call, twiml);
        });
        return call;
    }

    /// <summary>The person presses keys while the call is gathering them.</summary>
    public Task PressAsync(string sid, string digits) => WithCallAsync(Get(sid), async call =>
    {
        if (call.Waiting is not GatherPoint gather)
            throw new SimulatorException("The call is not listening for keys right now.");
        if (digits.Length == 0 || digits.Any(c => !char.IsAsciiDigit(c) && c is not '*' and not '#'))
            throw new SimulatorException("Keys are 0-9, * and #.");
        var pressed = digits;
        var end = pressed.IndexOf(gather.FinishOnKey, StringComparison.Ordinal);
        if (gather.FinishOnKey.Length > 0 && end >= 0)
            pressed = pressed[..end];
        if (gather.NumDigits is { } n && pressed.Length > n)
            pressed = pressed[..n];
        call.Write("person", $"Pressed {digits}", Now);
        call.Waiting = null;
        var twiml = await PostAsync(call, gather.Action ?? gather.Rest.DocumentUrl, new() { ["Digits"] = pressed });
        await RunAsync(call, twiml, gather.Rest.InWaitContext);
    });

    /// <summary>The person says nothing: the Gather times out, or a recording picks up only silence.</summary>
    public Task NoInputAsync(string sid) => WithCallAsync(Get(sid), async call =>
    {
        call.Write("person", "Says nothing", Now);
        switch (call.Waiting)
        {
            case GatherPoint { ActionOnEmptyResult: true } gather:
                call.Waiting = null;
                await RunAsync(call, await PostAsync(call, gather.Action ?? gather.Rest.DocumentUrl, new() { ["Digits"] = "" }), gather.Rest.InWaitContext);
                break;
            case GatherPoint or RecordPoint:
                var rest = call.Waiting.Rest;
                call.Waiting = null;
                await ContinueAsync(call, rest);
                break;
            default:
                throw new SimulatorException("The call is not waiting for the person to speak or press keys.");
        }
    });

    /// <summary>The person leaves a message of <paramref name="seconds"/> after the tone, then hangs up.</summary>
    public Task LeaveMessageAsync(string sid, int seconds) => WithCallAsync(Get(sid), async call =>
    {
        if (call.Waiting is not RecordPoint record)
            throw new SimulatorException("The call is not recording.");
        seconds = Math.Clamp(seconds, 1, record.MaxLength);
        var recordingSid = NewSid("RE");
        call.Write("person", $"Leaves a {seconds}-second message and hangs up", Now);
        call.Waiting = null;
        // The caller is gone: Twilio still requests the action with the recording, and ignores the TwiML.
        await PostAsync(call, record.Action ?? record.Rest.DocumentUrl, new()
        {
            ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Recordings/{recordingSid}",
            ["RecordingSid"] = recordingSid,
            ["RecordingDuration"] = seconds.ToString(CultureInfo.InvariantCulture),
            ["Digits"] = "hangup",
        });
        await EndAsync(call, "completed");
    });

    /// <summary>The person hangs up, wherever the call is.</summary>
    public Task PersonHangsUpAsync(string sid) => WithCallAsync(Get(sid), async call =>
    {
        if (call.Ended)
            throw new SimulatorException("The call has ended already.");
        call.Write("person", "Hangs up", Now);
        if (call.Queue is not null)
            await LeaveQueueAsync(call, "hangup", runActionTwiml: false);
        await EndAsync(call, call.Status == "ringing" && call.Direction != "inbound" ? "canceled" : "completed");
    });

    /// <summary>The phone of a call the app placed is answered.</summary>
    public Task AnswerAsync(string sid) => WithCallAsync(Get(sid), call =>
        PickUpAsync(call, "Answers", call.Machine == MachineDetection.None ? null : "human"));

    /// <summary>
    /// An answering machine picks up a call the app placed. With detection, Twilio says so in AnsweredBy
    /// (after the greeting's beep when asked to wait for it); without, the TwiML plays to the machine.
    /// </summary>
    public Task MachineAnswersAsync(string sid) => WithCallAsync(Get(sid), call =>
        PickUpAsync(call, "Answering machine picks up", call.Machine switch
        {
            MachineDetection.Detect => "machine_start",
            MachineDetection.DetectMessageEnd => "machine_end_beep",
            _ => null,
        }));

    private async Task PickUpAsync(SimulatedCall call, string who, string? answeredBy)
    {
        if (call.Direction == "inbound" || call.Status != "ringing")
            throw new SimulatorException("Only a ringing call the app placed can be answered.");
        call.Write("person", who, Now);
        call.Status = "in-progress";
        call.AnsweredAt = Now;
        await StatusCallbackAsync(call, "answered");
        await RunAsync(call, await PostAsync(call, call.AnswerUrl!, answeredBy is null ? [] : new() { ["AnsweredBy"] = answeredBy }));
    }

    /// <summary>The phone of a call the app placed is not answered (no-answer) or is busy.</summary>
    public Task DeclineAsync(string sid, string outcome = "no-answer") => WithCallAsync(Get(sid), async call =>
    {
        if (outcome is not ("no-answer" or "busy" or "failed"))
            throw new SimulatorException("A call that is not answered ends as no-answer, busy or failed.");
        if (call.Direction == "inbound" || call.Status != "ringing")
            throw new SimulatorException("Only a ringing call the app placed can go unanswered.");
        call.Write("person", outcome == "busy" ? "Line busy" : "Lets it ring out", Now);
        await EndAsync(call, outcome);
    });

    /// <summary>Time passes in Twilio's queue: the wait URL is asked again, as Twilio does when its TwiML ends.</summary>
    public Task HearWaitAgainAsync(string sid) => WithCallAsync(Get(sid), async call =>
    {
        if (call.Queue is null)
            throw new SimulatorException("The call is not in the queue.");
        call.Waiting = null;
        await RunWaitUrlAsync(call);
    });

    // ---- REST API (what the app asks of Twilio) ----

    public Task RedirectCallAsync(string callSid, Uri twimlUrl, CancellationToken cancellationToken = default)
    {
        var call = Live(callSid);
        Background(call, async () =>
        {
            call.Write("rest", $"REST: redirect to {twimlUrl.PathAndQuery}", Now);
            if (call.Queue is not null)
                await LeaveQueueAsync(call, "redirected", runActionTwiml: false);
            LeaveConference(call);
            call.Waiting = null;
            await RunAsync(call, await PostAsync(call, twimlUrl, []));
        });
        return Task.CompletedTask;
    }

    public Task<string> PlaceCallAsync(OutboundCall outbound, CancellationToken cancellationToken = default)
    {
        var call = new SimulatedCall
        {
            Sid = NewSid("CA"),
            From = outbound.From,
            To = outbound.To,
            Direction = "outbound-api",
            StartedAt = Now,
            AnswerUrl = outbound.TwimlUrl,
            StatusCallback = outbound.StatusCallbackUrl,
            Machine = outbound.Machine,
        };
        _calls[call.Sid] = call;
        _placedTo.GetOrAdd(call.To, _ => new ConcurrentQueue<SimulatedCall>()).Enqueue(call);
        call.Write("rest", $"REST: call placed, ringing for up to {outbound.RingSeconds} s", Now);
        Background(call, async () =>
        {
            await StatusCallbackAsync(call, "initiated", "queued");
            await StatusCallbackAsync(call, "ringing");
        });
        return Task.FromResult(call.Sid);
    }

    public Task HangUpAsync(string callSid, CancellationToken cancellationToken = default)
    {
        var call = Live(callSid);
        Background(call, async () =>
        {
            if (call.Ended)
                return;
            call.Write("rest", "REST: hang up", Now);
            if (call.Queue is not null)
                await LeaveQueueAsync(call, "hangup", runActionTwiml: false);
            await EndAsync(call, call.Status == "ringing" ? "canceled" : "completed");
        });
        return Task.CompletedTask;
    }

    public Task SendSmsAsync(string to, string from, string body, CancellationToken cancellationToken = default)
    {
        _messages.Enqueue(new SimulatedMessage(Now, to, from, body));
        return Task.CompletedTask;
    }

    /// <summary>The person texts the hotline (e.g. a reply of STOP): Twilio's inbound-SMS webhook, signed.</summary>
    public async Task ReplyToTextAsync(string from, string body, string path = "/twilio/sms/incoming")
    {
        var parameters = new Dictionary<string, string>
        {
            ["MessageSid"] = NewSid("SM"),
            ["SmsSid"] = NewSid("SM"),
            ["AccountSid"] = AccountSid,
            ["From"] = from,
            ["To"] = helpline.Value.HotlineNumber,
            ["Body"] = body,
            ["NumMedia"] = "0",
            ["NumSegments"] = "1",
            ["ApiVersion"] = "2010-04-01",
        };
        var request = new HttpRequestMessage(HttpMethod.Post, AppBase + path) { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", Sign(PublicBase + path, parameters));
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new SimulatorException($"The app answered {(int)response.StatusCode} to {path}.");
        _messages.Enqueue(new SimulatedMessage(Now, helpline.Value.HotlineNumber, from, body));
    }

    /// <summary>A recording made in the simulator: a second of a soft tone (no real voice was recorded).</summary>
    public Task<RecordingAudio> FetchRecordingAsync(string recordingUrl, CancellationToken cancellationToken = default)
    {
        if (!recordingUrl.Contains("/Recordings/RE", StringComparison.Ordinal) || _deletedRecordings.ContainsKey(recordingUrl[(recordingUrl.LastIndexOf('/') + 1)..]))
            throw new TelephonyException("Twilio (simulated) has no such recording.");
        const int rate = 8000;
        using var wav = new MemoryStream();
        using (var writer = new BinaryWriter(wav, Encoding.ASCII, leaveOpen: true))
        {
            writer.Write("RIFF"u8); writer.Write(36 + rate * 2); writer.Write("WAVE"u8);
            writer.Write("fmt "u8); writer.Write(16); writer.Write((short)1); writer.Write((short)1);
            writer.Write(rate); writer.Write(rate * 2); writer.Write((short)2); writer.Write((short)16);
            writer.Write("data"u8); writer.Write(rate * 2);
            for (var i = 0; i < rate; i++)
                writer.Write((short)(Math.Sin(2 * Math.PI * 440 * i / rate) * 2000));
        }
        return Task.FromResult(new RecordingAudio(wav.ToArray(), "audio/wav"));
    }

    /// <summary>Recordings deleted (by the retention job): they can no longer be fetched, as at Twilio.</summary>
    public Task DeleteRecordingAsync(string recordingSid, CancellationToken cancellationToken = default)
    {
        _deletedRecordings[recordingSid] = Now;
        return Task.CompletedTask;
    }

    public IReadOnlyCollection<string> DeletedRecordings => [.. _deletedRecordings.Keys];

    /// <summary>Waits until every REST request has been acted out (for tests and scripts).</summary>
    public async Task IdleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _inFlight) > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The simulator is still acting out requests.");
            await Task.Delay(10);
        }
    }

    // ---- TwiML ----

    private async Task RunAsync(SimulatedCall call, (XDocument Twiml, Uri Url) document, bool inWaitContext = false)
    {
        var root = document.Twiml.Root;
        if (root?.Name.LocalName != "Response")
            throw new SimulatorException($"TwiML from {document.Url.PathAndQuery} has no <Response> root.");
        await ContinueAsync(call, new Continuation([.. root.Elements()], document.Url, inWaitContext));
    }

    /// <summary>Runs TwiML verbs in order until one waits for a person or for the queue, as Twilio does.</summary>
    internal async Task ContinueAsync(SimulatedCall call, Continuation program)
    {
        var verbs = program.Verbs;
        for (var i = 0; i < verbs.Count; i++)
        {
            if (call.Ended)
                return;
            var verb = verbs[i];
            var rest = program with { Verbs = [.. verbs.Skip(i + 1)] };
            switch (verb.Name.LocalName)
            {
                case "Say" or "Play" or "Pause":
                    Hear(call, verb);
                    break;
                case "Gather":
                    foreach (var child in verb.Elements())
                    {
                        if (child.Name.LocalName is not ("Say" or "Play" or "Pause"))
                            throw Unsupported(child, "inside <Gather>");
                        Hear(call, child);
                    }
                    call.Waiting = new GatherPoint(rest, Resolve(verb.Attribute("action")?.Value, program.DocumentUrl),
                        int.TryParse(verb.Attribute("numDigits")?.Value, out var n) ? n : null,
                        verb.Attribute("finishOnKey")?.Value ?? "#",
                        string.Equals(verb.Attribute("actionOnEmptyResult")?.Value, "true", StringComparison.OrdinalIgnoreCase));
                    call.State = program.InWaitContext ? "in the queue, listening for keys" : "listening for keys";
                    return;
                case "Enqueue":
                    RequireCallContext(verb, program);
                    call.Queue = new QueueMembership(verb.Value.Trim(), Resolve(verb.Attribute("waitUrl")?.Value, program.DocumentUrl),
                        Resolve(verb.Attribute("action")?.Value, program.DocumentUrl), Now, rest);
                    lock (_queue)
                        _queue.Add(call.Sid);
                    call.Write("twilio", $"Enters Twilio's queue \"{call.Queue.Name}\"", Now);
                    await RunWaitUrlAsync(call);
                    return;
                case "Leave":
                    if (!program.InWaitContext || call.Queue is null)
                        throw new SimulatorException("<Leave> only works in a queue's wait URL.");
                    await LeaveQueueAsync(call, "leave", runActionTwiml: true);
                    return;
                case "Redirect":
                    var target = Resolve(verb.Value.Trim(), program.DocumentUrl) ?? throw new SimulatorException("<Redirect> without a URL.");
                    await RunAsync(call, await PostAsync(call, target, []), program.InWaitContext);
                    return;
                case "Hangup":
                    if (call.Queue is not null)
                        await LeaveQueueAsync(call, "hangup", runActionTwiml: false);
                    await EndAsync(call, "completed");
                    return;
                case "Record":
                    RequireCallContext(verb, program);
                    call.Write("twilio", "Beep: recording", Now);
                    call.Waiting = new RecordPoint(rest, Resolve(verb.Attribute("action")?.Value, program.DocumentUrl),
                        int.TryParse(verb.Attribute("maxLength")?.Value, out var max) ? max : 3600);
                    call.State = "recording a message";
                    return;
                case "Dial":
                    RequireCallContext(verb, program);
                    Dial(call, verb, rest, program.DocumentUrl);
                    return;
                default:
                    throw Unsupported(verb, "");
            }
        }
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

    private void Dial(SimulatedCall call, XElement dial, Continuation rest, Uri documentUrl)
    {
        var action = Resolve(dial.Attribute("action")?.Value, documentUrl);
        var nouns = dial.Elements().ToList();
        if (nouns.Count == 0)
        {
            call.DialledNumber = dial.Value.Trim();
        }
        else if (nouns is [{ Name.LocalName: "Number" } number])
        {
            call.DialledNumber = number.Value.Trim();
        }
        else if (nouns is [{ Name.LocalName: "Conference" } conference])
        {
            var name = conference.Value.Trim();
            var participant = new Participant(call.Sid,
                !string.Equals(conference.Attribute("startConferenceOnEnter")?.Value, "false", StringComparison.OrdinalIgnoreCase),
                string.Equals(conference.Attribute("endConferenceOnExit")?.Value, "true", StringComparison.OrdinalIgnoreCase));
            lock (_conferences)
            {
                if (!_conferences.TryGetValue(name, out var members))
                    _conferences[name] = members = [];
                members.Add(participant);
            }
            call.Conference = name;
            call.Waiting = new DialPoint(rest, action);
            call.State = $"in conference {name}";
            call.Write("twilio", $"Joins conference {name}", Now);
            return;
        }
        else
        {
            throw Unsupported(nouns[0], "inside <Dial>");
        }
        if (string.IsNullOrEmpty(call.DialledNumber))
            throw new SimulatorException("<Dial> without a number.");
        call.Waiting = new DialPoint(rest, action);
        call.State = "connected to another number";
        call.Write("twilio", "Dials another number (the simulator rings no real phone)", Now);
    }

    private async Task RunWaitUrlAsync(SimulatedCall call)
    {
        var queue = call.Queue!;
        if (queue.WaitUrl is null)
        {
            call.Waiting = new HoldPoint(new Continuation([], queue.AfterEnqueue.DocumentUrl, InWaitContext: true));
            call.State = "in the queue, on hold";
            return;
        }
        int position, size;
        lock (_queue)
        {
            position = _queue.IndexOf(call.Sid) + 1;
            size = _queue.Count;
        }
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

    private async Task LeaveQueueAsync(SimulatedCall call, string result, bool runActionTwiml)
    {
        var queue = call.Queue!;
        call.Queue = null;
        call.Waiting = null;
        lock (_queue)
            _queue.Remove(call.Sid);
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

    private async Task EndAsync(SimulatedCall call, string status)
    {
        if (call.Ended)
            return;
        call.Status = status;
        call.EndedAt = Now;
        call.Waiting = null;
        call.State = "ended: " + status;
        call.Write("twilio", $"Call ends ({status})", Now);
        lock (_queue)
            _queue.Remove(call.Sid);
        LeaveConference(call);
        await StatusCallbackAsync(call, "completed");
    }

    /// <summary>Takes the call out of its conference; if it was to end the conference on exit, the others' Dial ends too.</summary>
    private void LeaveConference(SimulatedCall call)
    {
        if (call.Conference is not { } name)
            return;
        call.Conference = null;
        List<string> others = [];
        lock (_conferences)
        {
            if (_conferences.TryGetValue(name, out var members))
            {
                var me = members.FirstOrDefault(m => m.CallSid == call.Sid);
                members.RemoveAll(m => m.CallSid == call.Sid);
                if (me?.EndOnExit == true || members.Count == 0)
                {
                    others = [.. members.Select(m => m.CallSid)];
                    _conferences.Remove(name);
                }
            }
        }
        foreach (var sid in others)
        {
            var other = Get(sid);
            other.Write("twilio", $"Conference {name} ended", Now);
            Background(other, async () =>
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
    }

    // ---- Webhooks ----

    private async Task StatusCallbackAsync(SimulatedCall call, string callbackEvent, string? status = null)
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

    private async Task<(XDocument Twiml, Uri Url)> PostAsync(SimulatedCall call, Uri url, Dictionary<string, string> extra, bool expectTwiml = true)
    {
        var parameters = BaseParameters(call);
        foreach (var (key, value) in extra)
            parameters[key] = value;
        var pathAndQuery = url.PathAndQuery;
        var request = new HttpRequestMessage(HttpMethod.Post, AppBase + pathAndQuery) { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", Sign(PublicBase + pathAndQuery, parameters));
        call.Write("webhook", $"POST {pathAndQuery} {string.Join(" ", extra.Where(e => e.Key is not ("Timestamp" or "CallbackSource")).Select(e => $"{e.Key}={e.Value}"))}".TrimEnd(), Now);

        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            call.Write("error", $"The app answered {(int)response.StatusCode} to {pathAndQuery}", Now);
            throw new SimulatorException($"The app answered {(int)response.StatusCode} to {pathAndQuery}: Twilio would play its application-error message and hang up.");
        }
        if (!expectTwiml)
            return (new XDocument(new XElement("Response")), url);
        try
        {
            var twiml = XDocument.Parse(body);
            call.Write("twiml", twiml.Root!.ToString(SaveOptions.DisableFormatting), Now);
            return (twiml, new Uri(PublicBase + pathAndQuery));
        }
        catch (XmlException)
        {
            call.Write("error", $"{pathAndQuery} answered something that is not TwiML", Now);
            throw new SimulatorException($"{pathAndQuery} answered something that is not TwiML.");
        }
    }

    private Dictionary<string, string> BaseParameters(SimulatedCall call) => new()
    {
        ["CallSid"] = call.Sid,
        ["AccountSid"] = AccountSid,
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

    private static string NewSid(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string QueueSid(string name) => "QU" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..32];

    private SimulatedCall Get(string sid) => _calls.GetValueOrDefault(sid) ?? throw new SimulatorException($"There is no simulated call {sid}.");

    /// <summary>Like Twilio's REST API: a call that has ended cannot be changed.</summary>
    private SimulatedCall Live(string sid)
    {
        var call = _calls.GetValueOrDefault(sid) ?? throw new TelephonyException($"Twilio (simulated) knows no call {sid}.");
        if (call.Ended)
            throw new TelephonyException($"Twilio (simulated): call {sid} is not in progress.");
        return call;
    }

    private async Task WithCallAsync(SimulatedCall call, Func<Task> work)
    {
        await call.Gate.WaitAsync();
        try
        {
            await work();
        }
        finally
        {
            call.Gate.Release();
        }
    }

    private Task WithCallAsync(SimulatedCall call, Func<SimulatedCall, Task> work) => WithCallAsync(call, () => work(call));

    /// <summary>REST requests are acted out after the request returns, as with Twilio; failures are recorded, never lost.</summary>
    private void Background(SimulatedCall call, Func<Task> work)
    {
        Interlocked.Increment(ref _inFlight);
        _ = Task.Run(async () =>
        {
            try
            {
                await WithCallAsync(call, work);
            }
            catch (Exception e)
            {
                _errors.Enqueue($"{call.Sid}: {e.Message}");
                call.Write("error", e.Message, Now);
                logger.LogError(e, "The simulator failed acting out a request on call {CallSid}", call.Sid);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });
    }

    private sealed record Participant(string CallSid, bool StartOnEnter, bool EndOnExit);
}
