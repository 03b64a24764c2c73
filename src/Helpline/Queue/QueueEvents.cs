using System.Threading.Channels;
using Helpline.Data;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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
/// Pushes committed changes to dashboards in the order they were handed over, each as a delta with
/// the row as it is now. The changes made within <see cref="QueueOptions.PushWindowMilliseconds"/> of
/// the first one waiting, and any that piled up while the last message went out, go together in one
/// message (<see cref="IQueueClient.QueueChangedBatch"/>): a busy line sends each dashboard a few
/// larger messages a second instead of falling behind with one per change. A delta that cannot be sent is
/// logged; dashboards catch up from the heartbeat and a snapshot. While Redis is down on a node of
/// several, that node's <see cref="QueueFallback"/> pushes every node's changes from the database
/// instead, in version order.
/// </summary>
public sealed class QueueBroadcaster(IServiceScopeFactory scopes, IHubContext<QueueHub, IQueueClient> hub, IOptions<QueueOptions> options, ILogger<QueueBroadcaster> logger, QueueBackplane? backplane = null) : BackgroundService
{
    /// <summary>The most changes one message carries.</summary>
    public const int MaxBatch = 200;

    private readonly Channel<QueueChange> _changes = Channel.CreateUnbounded<QueueChange>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(QueueChange change) => _changes.Writer.TryWrite(change);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<QueueChange>(MaxBatch);
        var window = TimeSpan.FromMilliseconds(options.Value.PushWindowMilliseconds);
        while (await _changes.Reader.WaitToReadAsync(stoppingToken))
        {
            // The machine's clock, not the helpline's: this is about sending, not about the queue's times.
            if (window > TimeSpan.Zero)
                await Task.Delay(window, stoppingToken);
            batch.Clear();
            while (batch.Count < MaxBatch && _changes.Reader.TryRead(out var change))
                batch.Add(change);
            if (backplane is { InUse: false })
            {
                // Fed from the database meanwhile (QueueFallback); it only needs to know something changed.
                backplane.ChangeCommitted();
                continue;
            }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var deltas = await DeltasAsync(scope.ServiceProvider.GetRequiredService<HelplineDb>(), batch, stoppingToken);
                await (deltas.Length == 1 ? hub.Clients.All.QueueChanged(deltas[0]) : hub.Clients.All.QueueChangedBatch(deltas));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not push queue changes {First}–{Last}", batch[0].Version, batch[^1].Version);
            }
        }
    }

    /// <summary>The changes as deltas, in their order, each with its row as it is now: two queries however many.</summary>
    internal static async Task<QueueDelta[]> DeltasAsync(HelplineDb db, IReadOnlyList<QueueChange> changes, CancellationToken cancellationToken)
    {
        var contactIds = changes.Select(c => c.ContactId).OfType<long>().Distinct().ToList();
        var rows = contactIds.Count == 0 ? []
            : (await db.Contacts.AsNoTracking().Where(c => contactIds.Contains(c.Id)).ToQueueRowsAsync(cancellationToken)).ToDictionary(r => r.ContactId);
        var userIds = changes.Select(c => c.StaffUserId).OfType<string>().Distinct().ToList();
        var advisors = userIds.Count == 0 ? []
            : await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToAdvisorRows().ToDictionaryAsync(a => a.Id, cancellationToken);
        return [.. changes.Select(change =>
        {
            QueueRow? row = null;
            long? removed = null;
            if (change.ContactId is { } contactId)
            {
                // A contact that left the queue (or is gone) is removed from dashboards.
                if (rows.TryGetValue(contactId, out var found) && QueueRowQueries.IsActive(found.Status))
                    row = found;
                else
                    removed = contactId;
            }
            var advisor = change.StaffUserId is { } userId ? advisors.GetValueOrDefault(userId) : null;
            return new QueueDelta(change.Version, change.Kind, row, removed, advisor);
        })];
    }
}
