using System.Collections.Concurrent;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Helpline.Tests.Queue;

/// <summary>A dashboard as a browser would run it: snapshot on (re)connect, then only newer deltas; a gap means a new snapshot.</summary>
internal sealed class DashboardClient : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    /// <summary>Deltas and heartbeats, in the order they arrived: a heartbeat is weighed only after the deltas sent before it are applied, as a browser's single thread does.</summary>
    private readonly System.Threading.Channels.Channel<(QueueDelta? Delta, long Heartbeat)> _deltas =
        System.Threading.Channels.Channel.CreateUnbounded<(QueueDelta? Delta, long Heartbeat)>(new() { SingleReader = true });
    private readonly Task _applying;

    public DashboardClient(HubConnection connection)
    {
        Connection = connection;
        // Deltas are applied one at a time in the order they arrived, alone or in a batch.
        Connection.On<QueueDelta>(nameof(IQueueClient.QueueChanged), delta =>
        {
            Interlocked.Increment(ref _messages);
            _deltas.Writer.TryWrite((delta, 0));
        });
        Connection.On<QueueDelta[]>(nameof(IQueueClient.QueueChangedBatch), deltas =>
        {
            Interlocked.Increment(ref _messages);
            Interlocked.Increment(ref _batches);
            foreach (var delta in deltas)
                _deltas.Writer.TryWrite((delta, 0));
        });
        _applying = Task.Run(async () =>
        {
            await foreach (var (delta, heartbeat) in _deltas.Reader.ReadAllAsync())
            {
                try
                {
                    if (delta is not null)
                        await ApplyAsync(delta);
                    else if (heartbeat > Version)
                        await ResyncAsync();
                }
                catch (Exception)
                {
                    // A snapshot asked for as the connection closed; the next connection takes one anyway.
                }
            }
        });
        // As the staff pages do: after a reconnect, a snapshot first.
        Connection.Reconnected += _ => ResyncAsync();
        Connection.On<long>(nameof(IQueueClient.Heartbeat), version =>
        {
            Heartbeats.Add(version);
            _deltas.Writer.TryWrite((null, version));
        });
        Connection.On<bool>(nameof(IQueueClient.UpdatesDelayed), delayed => Delayed = delayed);
    }

    public HubConnection Connection { get; }
    public long Version { get; private set; }

    /// <summary>What the server last said of the live updates: true while they are delayed (a node without Redis).</summary>
    public bool? Delayed { get; private set; }
    public ConcurrentDictionary<long, QueueRow> Rows { get; } = new();
    public ConcurrentDictionary<string, AdvisorRow> Advisors { get; } = new();
    public ConcurrentBag<long> Heartbeats { get; } = [];
    public ConcurrentBag<string> RawDeltas { get; } = [];

    private int _snapshots;
    private int _messages;
    private int _batches;

    /// <summary>Messages of changes received, and how many of them carried several changes together.</summary>
    public (int Messages, int Batches) Received => (Volatile.Read(ref _messages), Volatile.Read(ref _batches));

    /// <summary>How many times it asked for a snapshot (each a full reload of the page's queue).</summary>
    public int Snapshots => Volatile.Read(ref _snapshots);

    public async Task StartAsync()
    {
        await Connection.StartAsync();
        await ResyncAsync();
    }

    private async Task ResyncAsync()
    {
        Interlocked.Increment(ref _snapshots);
        var snapshot = await Connection.InvokeAsync<QueueSnapshot>(nameof(QueueHub.GetSnapshot));
        await _gate.WaitAsync();
        try
        {
            if (snapshot.Version < Version)
                return;
            Rows.Clear();
            foreach (var row in snapshot.Contacts)
                Rows[row.ContactId] = row;
            foreach (var advisor in snapshot.Advisors)
                Advisors[advisor.Id] = advisor;
            Version = snapshot.Version;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ApplyAsync(QueueDelta delta)
    {
        RawDeltas.Add(System.Text.Json.JsonSerializer.Serialize(delta, StaffSession.Json));
        bool gap;
        await _gate.WaitAsync();
        try
        {
            if (delta.Version <= Version)
                return;
            gap = delta.Version != Version + 1;
            if (!gap)
            {
                if (delta.Contact is { } row)
                    Rows[row.ContactId] = row;
                if (delta.RemovedContactId is { } removed)
                    Rows.TryRemove(removed, out _);
                if (delta.Advisor is { } advisor)
                    Advisors[advisor.Id] = advisor;
                Version = delta.Version;
            }
        }
        finally
        {
            _gate.Release();
        }
        if (gap)
            await ResyncAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        _deltas.Writer.TryComplete();
        await _applying;
    }
}
