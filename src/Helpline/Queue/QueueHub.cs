using Helpline.Data;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Helpline.Queue;

/// <summary>What the server pushes to dashboards.</summary>
public interface IQueueClient
{
    /// <summary>A change to the queue or to presence, with its version.</summary>
    Task QueueChanged(QueueDelta delta);

    /// <summary>Several changes, in version order, sent together when they came faster than one at a time.</summary>
    Task QueueChangedBatch(IReadOnlyList<QueueDelta> deltas);

    /// <summary>The current version, periodically: a client behind it missed something and takes a snapshot.</summary>
    Task Heartbeat(long version);

    /// <summary>
    /// True while the node cannot use Redis and feeds its dashboards from the database every second
    /// (the page says "live updates delayed"); false when changes flow live again.
    /// </summary>
    Task UpdatesDelayed(bool delayed);

    /// <summary>A message in one of this advisor's conversations (see Chat/).</summary>
    Task ChatMessage(Chat.ChatMessageView message);

    /// <summary>The person in one of this advisor's conversations is typing.</summary>
    Task ChatTyping(long contactId);

    /// <summary>The person has read up to this message.</summary>
    Task ChatRead(long contactId, int sequence);

    /// <summary>A text this advisor sent has moved on: queued, sent, delivered, undelivered or failed.</summary>
    Task TextDelivery(Messages.TextDeliveryView delivery);
}

/// <summary>
/// Live updates for signed-in staff at /hubs/queue. A client calls <see cref="GetSnapshot"/> on
/// connecting (and reconnecting), then applies only deltas newer than the snapshot's version.
/// </summary>
public sealed class QueueHub(QueueEvents events, HubSessions sessions, Chat.AdvisorChats chats, QueueBackplane? backplane = null) : Hub<IQueueClient>
{
    public Task<QueueSnapshot> GetSnapshot() => events.SnapshotAsync(Context.ConnectionAborted);

    /// <summary>The advisor is typing in one of their conversations: the person sees "typing…".</summary>
    public Task ChatTyping(long contactId) => chats.TypingAsync(Context.UserIdentifier, contactId);

    public override async Task OnConnectedAsync()
    {
        sessions.Opened(Context);
        if (backplane is { InUse: false })
            await Clients.Caller.UpdatesDelayed(true);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        sessions.Closed(Context.ConnectionId);
        return Task.CompletedTask;
    }
}

/// <summary>Sends the current version to every dashboard every few seconds.</summary>
public sealed class QueueHeartbeat(IServiceScopeFactory scopes, IHubContext<QueueHub, IQueueClient> hub, IOptions<QueueOptions> options, TimeProvider clock, ILogger<QueueHeartbeat> logger, QueueBackplane? backplane = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A delay after each beat, not a periodic timer: beats missed while the clock jumped (a test's
        // clock moved a week on) are not made up one by one.
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds), clock, stoppingToken);
            try
            {
                // While this node feeds its dashboards from the database (Redis down), they are where the
                // fallback's last poll left them, up to a second behind: the database's latest version
                // would send every one of them for a snapshot at each heartbeat.
                var version = backplane?.PushedVersion ?? await CurrentVersionAsync(stoppingToken);
                await hub.Clients.All.Heartbeat(version);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Queue heartbeat failed");
            }
        }
    }

    private async Task<long> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await QueueEvents.CurrentVersionAsync(scope.ServiceProvider.GetRequiredService<HelplineDb>(), cancellationToken);
    }
}
