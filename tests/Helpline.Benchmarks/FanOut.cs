using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Helpline.Benchmarks;

/// <summary>What a dashboard needs of a delta to recognise it; the rest of the payload is read and ignored.</summary>
internal sealed record DeltaProbe(long Version, string Kind, DeltaContact? Contact);

internal sealed record DeltaContact(long ContactId);

/// <summary>
/// How long a queue delta takes to reach every connected dashboard: many real SignalR clients
/// (WebSockets) on /hubs/queue, all with the same staff cookie, and for each call the time from the
/// webhook's answer until the last client holds its <c>contact.queued</c> delta.
/// </summary>
internal sealed class FanOut(HelplineServer app, HttpClient http, string staffCookie) : IAsyncDisposable
{
    private readonly List<HubConnection> _connections = [];
    // Calls are made one at a time, so at most one delta is awaited at once.
    private volatile Arrival? _queued;

    private void Arrived(DeltaProbe delta, long at)
    {
        if (delta.Kind == "contact.queued" && _queued is { } queued && delta.Contact?.ContactId == queued.ContactId)
            queued.Arrived(at);
    }

    /// <summary>When each client got one awaited delta; complete when all have.</summary>
    private sealed class Arrival(int clients, long contactId)
    {
        public long ContactId { get; } = contactId;
        private int _count;
        private long _last;
        public long First = long.MaxValue;
        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long Last => Interlocked.Read(ref _last);
        public int Count => Volatile.Read(ref _count);

        public void Arrived(long at)
        {
            // The latest arrival is recorded before counting, so once all are counted it is final.
            long seen;
            while (at > (seen = Interlocked.Read(ref _last)) && Interlocked.CompareExchange(ref _last, at, seen) != seen)
            {
            }
            while (at < (seen = Interlocked.Read(ref First)) && Interlocked.CompareExchange(ref First, at, seen) != seen)
            {
            }
            if (Interlocked.Increment(ref _count) == clients)
                All.TrySetResult();
        }
    }

    public int Clients => _connections.Count;

    public async Task ConnectAsync(int clients, int inParallel)
    {
        var hubUrl = new Uri(app.BaseUri, "/hubs/queue");
        for (var i = 0; i < clients; i++)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(hubUrl, HttpTransportType.WebSockets, options =>
                {
                    // WebSockets only: the negotiate round trip adds nothing to measure.
                    options.SkipNegotiation = true;
                    // The cookie is Secure (Production); over loopback HTTP it is sent by hand, as a header.
                    options.Headers["Cookie"] = staffCookie;
                })
                .Build();
            connection.On<DeltaProbe>("QueueChanged", delta => Arrived(delta, Stopwatch.GetTimestamp()));
            connection.On<DeltaProbe[]>("QueueChangedBatch", deltas =>
            {
                var at = Stopwatch.GetTimestamp();
                foreach (var delta in deltas)
                    Arrived(delta, at);
            });
            connection.On<long>("Heartbeat", _ => { });
            _connections.Add(connection);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Parallel.ForEachAsync(_connections, new ParallelOptions { MaxDegreeOfParallelism = inParallel, CancellationToken = timeout.Token },
            async (connection, ct) => await connection.StartAsync(ct));
        if (_connections.Count(c => c.State == HubConnectionState.Connected) != clients)
            throw new InvalidOperationException("Not every SignalR client connected.");
    }

    /// <summary>Result of one call: from the menu webhook's answer (and from its sending) to the last client's copy of the delta.</summary>
    public sealed record CallResult(double FromResponseMs, double FromSendMs, double WebhookMs, double FirstFromResponseMs, bool AllArrived, int Arrived);

    /// <summary>
    /// One call: the inbound webhook (a caller in the menu is not on dashboards, so nothing is
    /// broadcast), then the menu key 1 that puts the caller in the queue, timed until all clients hold
    /// the <c>contact.queued</c> delta.
    /// </summary>
    public async Task<CallResult> OneCallAsync(long callerIndex, TimeSpan wait)
    {
        var callSid = TwilioRequests.NewCallSid();
        var inbound = TwilioRequests.Inbound(callSid, TwilioRequests.CallerNumber(callerIndex));

        using (var request = TwilioRequests.SignedPost(new Uri(app.BaseUri, "/twilio/voice/incoming"), inbound))
        using (var incoming = await http.SendAsync(request))
        {
            if (incoming.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"Incoming webhook answered {(int)incoming.StatusCode}.");
        }
        var contactId = await app.ContactIdAsync(callSid) ?? throw new InvalidOperationException("The incoming webhook stored no contact.");
        var queued = _queued = new Arrival(Clients, contactId);

        var menuUrl = new Uri(app.BaseUri, "/twilio/voice/menu?attempt=1");
        using var menu = TwilioRequests.SignedPost(menuUrl, TwilioRequests.MenuKey(inbound, "1"));
        var sent = Stopwatch.GetTimestamp();
        long answered;
        using (var response = await http.SendAsync(menu))
        {
            var body = await response.Content.ReadAsStringAsync();
            answered = Stopwatch.GetTimestamp();
            if (response.StatusCode != HttpStatusCode.OK || !body.Contains("<Enqueue", StringComparison.Ordinal))
                throw new InvalidOperationException($"Menu webhook did not queue the caller ({(int)response.StatusCode}): {body[..Math.Min(body.Length, 300)]}");
        }
        var all = await Task.WhenAny(queued.All.Task, Task.Delay(wait)) == queued.All.Task;
        _queued = null;
        return new CallResult(
            FromResponseMs: Stats.Ms(queued.Last - answered),
            FromSendMs: Stats.Ms(queued.Last - sent),
            WebhookMs: Stats.Ms(answered - sent),
            FirstFromResponseMs: Stats.Ms(queued.First - answered),
            AllArrived: all,
            Arrived: queued.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(_connections, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (c, _) => await c.DisposeAsync());
    }
}
