using System.Xml.Linq;

namespace Helpline.Telephony.Simulator;

/// <summary>One simulated call and everything Twilio would know about it.</summary>
public sealed class SimulatedCall
{
    internal readonly SemaphoreSlim Gate = new(1, 1);
    private readonly List<SimulatorLogEntry> _log = [];
    private int _sequence = -1;

    public required string Sid { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }

    /// <summary>inbound, or outbound-api for calls the app placed.</summary>
    public required string Direction { get; init; }

    public required DateTime StartedAt { get; init; }

    public string? CallerName { get; init; }
    public string? FromState { get; init; }

    /// <summary>Twilio's CallStatus: queued, ringing, in-progress, completed, busy, no-answer, failed.</summary>
    public string Status { get; internal set; } = "ringing";

    /// <summary>What the call is doing now, in words, for the simulator page.</summary>
    public string State { get; internal set; } = "ringing";

    public DateTime? AnsweredAt { get; internal set; }
    public DateTime? EndedAt { get; internal set; }

    /// <summary>For a call the app placed: where Twilio reports progress, and what TwiML it fetches when answered.</summary>
    public Uri? StatusCallback { get; init; }
    public Uri? AnswerUrl { get; init; }

    /// <summary>For a call the app placed: the answering-machine detection it asked for.</summary>
    public MachineDetection Machine { get; init; }

    public string? Conference { get; internal set; }
    public string? DialledNumber { get; internal set; }

    public IReadOnlyList<SimulatorLogEntry> Log
    {
        get
        {
            lock (_log)
                return [.. _log];
        }
    }

    public bool Ended => Status is "completed" or "busy" or "no-answer" or "failed" or "canceled";

    /// <summary>What the call waits for from a person: "keys", "message", "answer", or null.</summary>
    public string? Awaiting => Ended ? null : Waiting switch
    {
        GatherPoint => "keys",
        RecordPoint => "message",
        _ when Status == "ringing" && Direction != "inbound" => "answer",
        _ => null,
    };

    public bool InQueue => Queue is not null;

    /// <summary>Where the call is waiting for a person (digits, a message) or for Twilio's queue.</summary>
    internal WaitPoint? Waiting { get; set; }

    internal QueueMembership? Queue { get; set; }

    internal int NextSequence() => Interlocked.Increment(ref _sequence);

    internal void Write(string kind, string text, DateTime at)
    {
        lock (_log)
            _log.Add(new SimulatorLogEntry(at, kind, text));
    }
}

public sealed record SimulatorLogEntry(DateTime At, string Kind, string Text);

/// <summary>The TwiML still to run after the verb the call is waiting in, and the URL it came from.</summary>
internal sealed record Continuation(IReadOnlyList<XElement> Verbs, Uri DocumentUrl, bool InWaitContext);

internal abstract record WaitPoint(Continuation Rest);

internal sealed record GatherPoint(Continuation Rest, Uri? Action, int? NumDigits, string FinishOnKey, bool ActionOnEmptyResult) : WaitPoint(Rest);

internal sealed record RecordPoint(Continuation Rest, Uri? Action, int MaxLength) : WaitPoint(Rest);

/// <summary>In a Dial: to a number, or in a conference; the call goes on with <see cref="WaitPoint.Rest"/> when it ends.</summary>
internal sealed record DialPoint(Continuation Rest, Uri? Action) : WaitPoint(Rest);

/// <summary>In Twilio's queue with the wait TwiML finished: hold music until the wait URL is asked again.</summary>
internal sealed record HoldPoint(Continuation Rest) : WaitPoint(Rest);

internal sealed record QueueMembership(string Name, Uri? WaitUrl, Uri? Action, DateTime EnqueuedAt, Continuation AfterEnqueue);
