using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Helpline.Telephony.Simulator;

/// <summary>
/// What exists in the simulated Twilio and who is connected to whom: the calls, Twilio's queue, the
/// conferences, the deleted recordings, and the REST requests still being acted out.
/// Each call's work runs one step at a time behind its gate, as Twilio handles one webhook per call at a time.
/// </summary>
internal sealed class SimulatorState(TimeProvider clock, ILogger<TwilioSimulator> logger)
{
    private readonly ConcurrentDictionary<string, SimulatedCall> _calls = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SimulatedCall>> _placedTo = new();
    private readonly List<string> _queue = [];
    private readonly Dictionary<string, List<Participant>> _conferences = [];
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentDictionary<string, DateTime> _deletedRecordings = new();
    private int _inFlight;

    public IReadOnlyList<SimulatedCall> Calls => [.. _calls.Values.OrderByDescending(c => c.StartedAt)];

    public IReadOnlyList<string> Errors => [.. _errors];

    public IReadOnlyCollection<string> DeletedRecordings => [.. _deletedRecordings.Keys];

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public static string NewSid(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    // ---- Calls ----

    public void Add(SimulatedCall call) => _calls[call.Sid] = call;

    /// <summary>A call the app placed: also counted against the number it rang.</summary>
    public void AddPlaced(SimulatedCall call)
    {
        _calls[call.Sid] = call;
        _placedTo.GetOrAdd(call.To, _ => new ConcurrentQueue<SimulatedCall>()).Enqueue(call);
    }

    public SimulatedCall? Find(string sid) => _calls.GetValueOrDefault(sid);

    public IReadOnlyList<SimulatedCall> PlacedTo(string number) => _placedTo.TryGetValue(number, out var calls) ? [.. calls] : [];

    public SimulatedCall Get(string sid) => _calls.GetValueOrDefault(sid) ?? throw new SimulatorException($"There is no simulated call {sid}.");

    /// <summary>Like Twilio's REST API: a call that has ended cannot be changed.</summary>
    public SimulatedCall Live(string sid)
    {
        var call = _calls.GetValueOrDefault(sid) ?? throw new TelephonyException($"Twilio (simulated) knows no call {sid}.");
        if (call.Ended)
            throw new TelephonyException($"Twilio (simulated): call {sid} is not in progress.");
        return call;
    }

    // ---- Twilio's queue ----

    public void Enqueue(string callSid)
    {
        lock (_queue)
            _queue.Add(callSid);
    }

    public void Dequeue(string callSid)
    {
        lock (_queue)
            _queue.Remove(callSid);
    }

    /// <summary>Where the call stands in the queue (first is 1) and how many wait, read together.</summary>
    public (int Position, int Size) QueuePlace(string callSid)
    {
        lock (_queue)
            return (_queue.IndexOf(callSid) + 1, _queue.Count);
    }

    // ---- Conferences ----

    public void JoinConference(string name, string callSid, bool startOnEnter, bool endOnExit)
    {
        lock (_conferences)
        {
            if (!_conferences.TryGetValue(name, out var members))
                _conferences[name] = members = [];
            members.Add(new Participant(callSid, startOnEnter, endOnExit));
        }
    }

    /// <summary>
    /// Takes the call out of conference <paramref name="name"/>. Returns the calls left in it when the
    /// conference ends with this exit (the call was to end it, or was the last one); otherwise none.
    /// </summary>
    public IReadOnlyList<string> LeaveConference(string name, string callSid)
    {
        lock (_conferences)
        {
            if (!_conferences.TryGetValue(name, out var members))
                return [];
            var me = members.FirstOrDefault(m => m.CallSid == callSid);
            members.RemoveAll(m => m.CallSid == callSid);
            if (me?.EndOnExit != true && members.Count != 0)
                return [];
            _conferences.Remove(name);
            return [.. members.Select(m => m.CallSid)];
        }
    }

    // ---- Recordings ----

    public void DeleteRecording(string recordingSid) => _deletedRecordings[recordingSid] = Now;

    public bool IsDeleted(string recordingSid) => _deletedRecordings.ContainsKey(recordingSid);

    // ---- Work on calls ----

    /// <summary>Runs <paramref name="work"/> alone on the call: nothing else moves it meanwhile.</summary>
    public static async Task WithCallAsync(SimulatedCall call, Func<Task> work)
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

    public static Task WithCallAsync(SimulatedCall call, Func<SimulatedCall, Task> work) => WithCallAsync(call, () => work(call));

    /// <summary>REST requests are acted out after the request returns, as with Twilio; failures are recorded, never lost.</summary>
    public void Background(SimulatedCall call, Func<Task> work)
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

    /// <summary>Work that belongs to no call (a text's status reports), run in the background the same way.</summary>
    public void Background(string what, Func<Task> work)
    {
        Interlocked.Increment(ref _inFlight);
        _ = Task.Run(async () =>
        {
            try
            {
                await work();
            }
            catch (Exception e)
            {
                _errors.Enqueue($"{what}: {e.Message}");
                logger.LogError(e, "The simulator failed acting out {What}", what);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });
    }

    /// <summary>Waits until every REST request has been acted out.</summary>
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

    private sealed record Participant(string CallSid, bool StartOnEnter, bool EndOnExit);
}
