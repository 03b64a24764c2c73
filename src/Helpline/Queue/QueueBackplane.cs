using System.Diagnostics;
using Helpline.Data;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Helpline.Queue;

/// <summary>
/// Several nodes share dashboards' updates through Redis (SignalR's Redis backplane). Redis is not
/// allowed to take the dashboards down with it: while it does not answer, connections open without it
/// (<see cref="FallbackHubLifetimeManager{THub}"/>), each node reads the new changes from the database
/// every second and pushes them to its own dashboards (<see cref="QueueFallback"/>), and when Redis
/// answers again each node announces the current version at once, so every dashboard re-syncs.
/// </summary>
public static class QueueBackplaneExtensions
{
    public static ISignalRServerBuilder AddQueueBackplane(this ISignalRServerBuilder signalR, string redis)
    {
        signalR.AddStackExchangeRedis(redis, options =>
        {
            options.Configuration.ChannelPrefix = RedisChannel.Literal("helpline");
            options.Configuration.AbortOnConnectFail = false;
            // While Redis is down, sends fail at once instead of queueing: the fallback delivers.
            options.Configuration.BacklogPolicy = BacklogPolicy.FailFast;
            // Try again at every one of the client's heartbeats, twice a second, rather than backing
            // off: the sooner Redis is back in use, the sooner dashboards are live (within 2 s of it).
            options.Configuration.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            options.Configuration.ReconnectRetryPolicy = new LinearRetry(250);
            options.Configuration.ConnectTimeout = 2000;
        });
        var services = signalR.Services;
        services.AddSingleton<QueueBackplane>();
        services.AddOptions<RedisOptions>().Configure<QueueBackplane>((options, backplane) =>
            options.ConnectionFactory = writer => backplane.ConnectAsync(options.Configuration, writer));
        // Replaces the Redis lifetime manager registered above; it is wrapped, not dropped.
        services.AddSingleton(typeof(HubLifetimeManager<>), typeof(FallbackHubLifetimeManager<>));
        services.AddHostedService<QueueFallback>();
        services.AddHealthChecks().AddCheck<QueueBackplaneHealthCheck>("backplane");
        return signalR;
    }
}

/// <summary>The node's one Redis connection and whether it is in use for dashboards right now.</summary>
public sealed class QueueBackplane(ILogger<QueueBackplane> logger)
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly SemaphoreSlim _changed = new(0, 1);
    private IConnectionMultiplexer? _redis;
    private volatile bool _inUse;
    private int _pollRequested;
    private bool _used;
    private long _pushed = -1;

    /// <summary>True while changes reach dashboards through Redis; false while the database fallback delivers them.</summary>
    public bool InUse => _inUse;

    /// <summary>When Redis stopped being used (or the node started, until it first answers), for health and logs.</summary>
    public DateTime? DownSince { get; private set; } = DateTime.UtcNow;

    /// <summary>Redis answers on both the command and the subscription connections.</summary>
    public bool Answers => _redis is { IsConnected: true } redis && redis.GetSubscriber().IsConnected();

    /// <summary>
    /// The Redis lifetime manager's connection factory. Until Redis first answers it throws, so the
    /// manager tries again at its next use instead of keeping a connection whose channels were never subscribed.
    /// </summary>
    internal async Task<IConnectionMultiplexer> ConnectAsync(ConfigurationOptions configuration, TextWriter log)
    {
        await _connecting.WaitAsync();
        try
        {
            if (_redis is null)
            {
                var redis = await ConnectionMultiplexer.ConnectAsync(configuration, log);
                redis.ConnectionFailed += (_, e) =>
                {
                    if (e.ConnectionType == ConnectionType.Subscription)
                        ChangedSoon();
                };
                redis.ConnectionRestored += (_, e) =>
                {
                    if (e.ConnectionType == ConnectionType.Subscription)
                        ChangedSoon();
                };
                _redis = redis;
                ChangedSoon();
            }
        }
        finally
        {
            _connecting.Release();
        }
        return Answers ? _redis : throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis does not answer yet.");
    }

    /// <summary>Something suggests Redis went or came back: look now rather than at the next second.</summary>
    public void ChangedSoon()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>A change was committed on this node: while Redis is not in use, push it now rather than at the next second.</summary>
    public void ChangeCommitted()
    {
        Interlocked.Exchange(ref _pollRequested, 1);
        ChangedSoon();
    }

    /// <summary>
    /// While the database fallback feeds this node's dashboards, the last version it pushed them; null
    /// while Redis is in use (or before the fallback knows where it starts).
    /// </summary>
    public long? PushedVersion => Interlocked.Read(ref _pushed) is var pushed and >= 0 ? pushed : null;

    internal void Pushed(long version) => Interlocked.Exchange(ref _pushed, version);

    internal bool TakePollRequest() => Interlocked.Exchange(ref _pollRequested, 0) == 1;

    internal Task WaitForChangeAsync(TimeSpan interval, CancellationToken cancellationToken) => _changed.WaitAsync(interval, cancellationToken);

    internal void StopUsing()
    {
        _inUse = false;
        DownSince ??= DateTime.UtcNow;
        logger.LogWarning("Redis (the backplane between nodes) does not answer: dashboards on this node connect without it and get changes from the database every second (live updates delayed)");
    }

    internal void StartUsing()
    {
        var since = DownSince;
        _inUse = true;
        Interlocked.Exchange(ref _pushed, -1);
        DownSince = null;
        if (_used && since is { } down)
            logger.LogWarning("Redis (the backplane between nodes) answers again after {Seconds:F1} s: dashboards on this node are live again", (DateTime.UtcNow - down).TotalSeconds);
        else if (since is { } start)
            logger.LogInformation("Redis (the backplane between nodes) answers, {Seconds:F1} s after start", (DateTime.UtcNow - start).TotalSeconds);
        _used = true;
    }

    /// <summary>A Redis operation failed; with <paramref name="lookNow"/>, Redis may be going although the connection has not said so yet.</summary>
    internal void Failed(Exception e, bool lookNow = true)
    {
        logger.LogDebug(e, "A Redis operation failed");
        if (lookNow)
            ChangedSoon();
    }
}

/// <summary><c>/healthz</c>: Degraded while dashboards get their changes from the database instead of through Redis.</summary>
internal sealed class QueueBackplaneHealthCheck(QueueBackplane backplane) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(backplane.InUse || backplane.DownSince is not { } since
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded($"Redis has not answered since {since:u}: dashboards on this node poll the database every second (updates delayed, nothing lost)."));
}

/// <summary>
/// SignalR's Redis lifetime manager, with the connections of this node also kept here. Its
/// <c>OnConnectedAsync</c> subscribes a Redis channel for each new connection, and while Redis is
/// down that throws and SignalR closes the connection right after the handshake; here the connection
/// proceeds, and is registered with Redis once it answers again. While Redis is not in use, sends to
/// all go to this node's connections only: every node then feeds its own from the database.
/// </summary>
public sealed class FallbackHubLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable where THub : Hub
{
    private readonly RedisHubLifetimeManager<THub> _redis;
    private readonly HubConnectionStore _local = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HubConnectionContext> _notInRedis = new();
    // Connections whose registration with Redis failed part-way: the Redis manager may hold them all
    // the same (in its connection list, a channel subscription, the user's list) until told they closed.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _triedInRedis = new();
    private readonly QueueBackplane _backplane;

    public FallbackHubLifetimeManager(QueueBackplane backplane, ILogger<RedisHubLifetimeManager<THub>> logger, IOptions<RedisOptions> options,
        IHubProtocolResolver protocols, IOptions<HubOptions> globalHubOptions, IOptions<HubOptions<THub>> hubOptions)
    {
        _backplane = backplane;
        _redis = new RedisHubLifetimeManager<THub>(logger, options, protocols, globalHubOptions, hubOptions);
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        _local.Add(connection);
        if (!_backplane.InUse || !await TryRegisterAsync(connection, lookNow: true))
            _notInRedis[connection.ConnectionId] = connection;
    }

    private async Task<bool> TryRegisterAsync(HubConnectionContext connection, bool lookNow)
    {
        try
        {
            await _redis.OnConnectedAsync(connection);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _triedInRedis[connection.ConnectionId] = true;
            _backplane.Failed(e, lookNow);
            return false;
        }
    }

    /// <summary>
    /// Redis answers again: subscribe the channels of the connections that opened without it. Returns
    /// the ids of those registered now and still open.
    /// </summary>
    internal async Task<List<string>> RegisterWaitingAsync()
    {
        var registeredNow = new List<string>();
        foreach (var (id, connection) in _notInRedis)
        {
            if (connection.ConnectionAborted.IsCancellationRequested)
                continue;
            // Retried at the next second, not at once: a registration that keeps failing must not spin.
            var registered = await TryRegisterAsync(connection, lookNow: false);
            if (registered)
                _notInRedis.TryRemove(id, out _);
            // Closed meanwhile: undo, as OnDisconnectedAsync may have run before the registration (or the failed attempt).
            if (_local[id] is null)
                await OnDisconnectedAsync(connection);
            else if (registered)
                registeredNow.Add(id);
        }
        return registeredNow;
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _local.Remove(connection);
        var tried = _triedInRedis.TryRemove(connection.ConnectionId, out _);
        // Never offered to Redis: nothing of it to release there.
        if (_notInRedis.TryRemove(connection.ConnectionId, out _) && !tried)
            return;
        try
        {
            await _redis.OnDisconnectedAsync(connection);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Its unsubscribes fail while Redis is down; the subscriptions go with the connection to Redis.
            _backplane.Failed(e);
        }
    }

    public override async Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        if (_backplane.InUse)
        {
            try
            {
                await _redis.SendAllAsync(methodName, args, cancellationToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _backplane.Failed(e);
            }
        }
        await SendLocalAsync(methodName, args, cancellationToken);
    }

    /// <summary>To this node's connections only, whatever Redis is doing.</summary>
    public async Task SendLocalAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        var message = new SerializedHubMessage(new InvocationMessage(methodName, args));
        var writes = new List<Task>(_local.Count);
        foreach (var connection in _local)
            writes.Add(connection.WriteAsync(message, cancellationToken).AsTask());
        await Task.WhenAll(writes);
    }

    /// <summary>Through Redis only, to every node's connections; false when Redis refused it.</summary>
    public async Task<bool> TrySendThroughRedisAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        try
        {
            await _redis.SendAllAsync(methodName, args, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _backplane.Failed(e);
            return false;
        }
    }

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _local[connectionId] is { } connection
            ? connection.WriteAsync(new InvocationMessage(methodName, args), cancellationToken).AsTask()
            : _redis.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        _redis.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _redis.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _redis.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _redis.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        _redis.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _redis.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _redis.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        _redis.AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        _redis.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public void Dispose() => _redis.Dispose();
}

/// <summary>
/// Watches Redis (its connection's events, and every second). While it is not in use, reads the
/// changes after the last one pushed from <c>QueueChanges</c> every second (at once after a change
/// made on this node) and pushes them, as deltas, to this node's dashboards. When it answers again (or
/// first, at start-up), registers the connections that opened without it, and announces the current
/// version to every dashboard at once (and once more a second later, for nodes whose subscriptions came
/// back a moment after), so a dashboard that missed a change re-syncs.
/// </summary>
public sealed class QueueFallback(QueueBackplane backplane, HubLifetimeManager<QueueHub> hubs, IServiceScopeFactory scopes, ILogger<QueueFallback> logger) : BackgroundService
{
    /// <summary>How often a node reads new changes while Redis is down.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often a node looks whether Redis answers again (a property read, no round trip).</summary>
    private static readonly TimeSpan LookInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>More changes than this behind, dashboards take a snapshot instead.</summary>
    private const int MaxDeltas = 200;

    /// <summary>The value of <see cref="_after"/> until the fallback has read where its polls start.</summary>
    private const long Unknown = -1;

    private readonly FallbackHubLifetimeManager<QueueHub> _hubs = (FallbackHubLifetimeManager<QueueHub>)hubs;
    private bool _polling;
    private long _polledAt;
    private long _after = Unknown;
    private long _announceAgainAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await backplane.WaitForChangeAsync(_polling ? LookInterval : PollInterval, stoppingToken);
                await StepAsync(stoppingToken);
            }
            // A cancellation other than the host's stopping (a query's timeout, say) is a failed step like
            // any other: ending the loop would stop the app.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "The live queue's fallback from Redis failed a step; trying again in a second");
            }
        }
    }

    private async Task StepAsync(CancellationToken cancellationToken)
    {
        var answers = backplane.Answers;
        if (!answers && !_polling)
            FallBack();
        if (_polling)
        {
            await PollIfDueAsync(answers, cancellationToken);
            if (!answers)
                return;
        }
        if (!backplane.InUse)
        {
            await ComeBackToRedisAsync(cancellationToken);
            return;
        }
        if (_announceAgainAt != 0 && Stopwatch.GetTimestamp() >= _announceAgainAt)
        {
            _announceAgainAt = 0;
            await AnnounceAsync(cancellationToken);
        }
        await GreetLateConnectionsAsync(cancellationToken);
    }

    /// <summary>Redis has stopped answering: stop sending through it, and poll from a version still to be read.</summary>
    private void FallBack()
    {
        backplane.StopUsing();
        _polling = true;
        _after = Unknown;
        _polledAt = 0;
    }

    /// <summary>Polls once a poll interval has passed, or at once when a change here asks for it, or when Redis answers again.</summary>
    private async Task PollIfDueAsync(bool answers, CancellationToken cancellationToken)
    {
        if (!answers && Stopwatch.GetElapsedTime(_polledAt) < PollInterval && !backplane.TakePollRequest())
            return;
        _polledAt = Stopwatch.GetTimestamp();
        if (_after == Unknown)
        {
            // Read again at each poll until the database answers: until then no dashboard here is told
            // the updates are delayed. Should Redis answer first, its comeback announcement re-syncs them.
            if (!answers)
                await StartPollingAsync(cancellationToken);
        }
        else
        {
            // Whatever changed up to now reaches this node's dashboards before Redis takes over again.
            await PollAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Redis comes into use, after an outage or at start-up. Either way, dashboards that connected
    /// before were told the updates are delayed, and the changes made meanwhile went to none of
    /// them through Redis (the broadcaster leaves them to the fallback): all hear the current version.
    /// </summary>
    private async Task ComeBackToRedisAsync(CancellationToken cancellationToken)
    {
        await _hubs.RegisterWaitingAsync();
        backplane.StartUsing();
        _polling = false;
        await _hubs.SendLocalAsync(nameof(IQueueClient.UpdatesDelayed), [false], cancellationToken);
        await AnnounceAsync(cancellationToken);
        _announceAgainAt = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
    }

    /// <summary>
    /// Connections that opened during a blip, before the connection said Redis had gone, or just as
    /// it came into use, after the announcement: deltas sent through Redis before now missed them.
    /// </summary>
    private async Task GreetLateConnectionsAsync(CancellationToken cancellationToken)
    {
        var registered = await _hubs.RegisterWaitingAsync();
        if (registered.Count == 0)
            return;
        var version = await CurrentVersionAsync(cancellationToken);
        foreach (var id in registered)
            await _hubs.SendConnectionAsync(id, nameof(IQueueClient.Heartbeat), [version], cancellationToken);
    }

    /// <summary>Tells this node's dashboards the updates are delayed, and from which version the polls start.</summary>
    private async Task StartPollingAsync(CancellationToken cancellationToken)
    {
        var version = await CurrentVersionAsync(cancellationToken);
        await _hubs.SendLocalAsync(nameof(IQueueClient.UpdatesDelayed), [true], cancellationToken);
        // A dashboard that missed a change while Redis was failing re-syncs now.
        await _hubs.SendLocalAsync(nameof(IQueueClient.Heartbeat), [version], cancellationToken);
        _after = version;
        backplane.Pushed(version);
    }

    private async Task<long> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await QueueEvents.CurrentVersionAsync(scope.ServiceProvider.GetRequiredService<HelplineDb>(), cancellationToken);
    }

    private async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        var version = await CurrentVersionAsync(cancellationToken);
        // Here first, whatever the state of this node's subscriptions; then to every node through Redis.
        await _hubs.SendLocalAsync(nameof(IQueueClient.Heartbeat), [version], cancellationToken);
        await _hubs.TrySendThroughRedisAsync(nameof(IQueueClient.Heartbeat), [version], cancellationToken);
        logger.LogInformation("Announced queue version {Version} as Redis came into use", version);
    }

    /// <summary>Pushes the changes after the last one pushed, in order, to this node's dashboards.</summary>
    private async Task PollAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var changes = await db.QueueChanges.AsNoTracking().Where(c => c.Version > _after).OrderBy(c => c.Version).Take(MaxDeltas + 1).ToListAsync(cancellationToken);
        if (changes.Count > MaxDeltas)
        {
            _after = await QueueEvents.CurrentVersionAsync(db, cancellationToken);
            await _hubs.SendLocalAsync(nameof(IQueueClient.Heartbeat), [_after], cancellationToken);
            backplane.Pushed(_after);
            return;
        }
        // Versions commit in order (one writer on SQLite, an advisory lock on PostgreSQL), so a
        // version missing below a visible one was rolled back, not still on its way.
        if (changes.Count == 0)
            return;
        var deltas = await QueueBroadcaster.DeltasAsync(db, changes, cancellationToken);
        await _hubs.SendLocalAsync(nameof(IQueueClient.QueueChangedBatch), [deltas], cancellationToken);
        _after = changes[^1].Version;
        backplane.Pushed(_after);
    }
}
