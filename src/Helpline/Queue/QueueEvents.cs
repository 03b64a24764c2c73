using System.Threading.Channels;
using Helpline.Data;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Queue;

/// <summary>
/// Records changes to the queue and to presence with a database-allocated version, and hands each
/// committed change to the <see cref="QueueBroadcaster"/>, which pushes it to every dashboard.
/// </summary>
public sealed class QueueEvents(HelplineDb db, QueueBroadcaster broadcaster)
{
    /// <summary>Adds a change to the unit of work; its version is allocated when it is saved.</summary>
    public QueueChange Record(string kind, DateTime at, long? contactId = null, string? staffUserId = null)
    {
        var change = new QueueChange { Kind = kind, At = at, ContactId = contactId, StaffUserId = staffUserId };
        db.QueueChanges.Add(change);
        return change;
    }

    /// <summary>
    /// Runs one write to the queue in a write transaction. <paramref name="write"/> makes its conditional
    /// update and returns the changes it recorded, or null when the update found the contact had moved
    /// on: then nothing is saved and false is returned. Otherwise the changes are saved and committed
    /// with the write, then published.
    /// </summary>
    public async Task<bool> CommitAsync(Func<Task<QueueChange[]?>> write, CancellationToken cancellationToken = default)
    {
        QueueChange[]? changes;
        await using (var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken))
        {
            changes = await write();
            if (changes is null)
                return false;
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await PublishAsync(changes);
        return true;
    }

    /// <summary>
    /// Queues saved changes for dashboards. Call after the transaction that saved them commits. It
    /// does not wait for the broadcast, so a webhook's answer to Twilio never waits on dashboards.
    /// </summary>
    public Task PublishAsync(params QueueChange[] changes)
    {
        foreach (var change in changes.Where(c => c.Version > 0).OrderBy(c => c.Version))
            broadcaster.Enqueue(change);
        return Task.CompletedTask;
    }

    public Task<QueueSnapshot> SnapshotAsync(CancellationToken cancellationToken = default) => SnapshotAsync(db, cancellationToken);

    public static async Task<QueueSnapshot> SnapshotAsync(HelplineDb db, CancellationToken cancellationToken = default)
    {
        // The version is read first: the rows that follow are at least that new, and deltas
        // after it carry full rows, so applying them again is harmless.
        var version = await CurrentVersionAsync(db, cancellationToken);
        var contacts = await db.Contacts.AsNoTracking()
            .Where(c => QueueRowQueries.Active.Contains(c.Status))
            .InQueueOrder()
            .ToQueueRowsAsync(cancellationToken);
        var advisors = await db.Users.AsNoTracking().OrderBy(u => u.DisplayName).ToAdvisorRows().ToListAsync(cancellationToken);
        return new QueueSnapshot(version, contacts, advisors);
    }

    public static async Task<long> CurrentVersionAsync(HelplineDb db, CancellationToken cancellationToken = default) =>
        await db.QueueChanges.MaxAsync(c => (long?)c.Version, cancellationToken) ?? 0;
}

/// <summary>
/// Pushes committed changes to dashboards, one at a time in the order they were handed over, each
/// as a delta with the row as it is now. A delta that cannot be sent is logged; dashboards catch up
/// from the heartbeat and a snapshot. While Redis is down on a node of several, that node's
/// <see cref="QueueFallback"/> pushes every node's changes from the database instead, in version order.
/// </summary>
public sealed class QueueBroadcaster(IServiceScopeFactory scopes, IHubContext<QueueHub, IQueueClient> hub, ILogger<QueueBroadcaster> logger, QueueBackplane? backplane = null) : BackgroundService
{
    private readonly Channel<QueueChange> _changes = Channel.CreateUnbounded<QueueChange>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(QueueChange change) => _changes.Writer.TryWrite(change);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var change in _changes.Reader.ReadAllAsync(stoppingToken))
        {
            if (backplane is { InUse: false })
            {
                backplane.ChangeCommitted();
                continue;
            }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
                await hub.Clients.All.QueueChanged(await DeltaAsync(db, change, stoppingToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not push queue change {Version}", change.Version);
            }
        }
    }

    internal static async Task<QueueDelta> DeltaAsync(HelplineDb db, QueueChange change, CancellationToken cancellationToken)
    {
        QueueRow? row = null;
        long? removed = null;
        if (change.ContactId is { } contactId)
        {
            row = (await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).ToQueueRowsAsync(cancellationToken)).SingleOrDefault();
            if (row is null || !QueueRowQueries.IsActive(row.Status))
            {
                removed = contactId;
                row = null;
            }
        }
        var advisor = change.StaffUserId is { } userId
            ? await db.Users.AsNoTracking().Where(u => u.Id == userId).ToAdvisorRows().SingleOrDefaultAsync(cancellationToken)
            : null;
        return new QueueDelta(change.Version, change.Kind, row, removed, advisor);
    }
}
