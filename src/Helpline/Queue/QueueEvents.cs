using Helpline.Data;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Queue;

/// <summary>
/// Records changes to the queue and to presence with a database-allocated version, and pushes
/// each committed change to every dashboard as a delta.
/// </summary>
public sealed class QueueEvents(HelplineDb db, IHubContext<QueueHub, IQueueClient> hub, ILogger<QueueEvents> logger)
{
    /// <summary>Adds a change to the unit of work; its version is allocated when it is saved.</summary>
    public QueueChange Record(string kind, DateTime at, long? contactId = null, string? staffUserId = null)
    {
        var change = new QueueChange { Kind = kind, At = at, ContactId = contactId, StaffUserId = staffUserId };
        db.QueueChanges.Add(change);
        return change;
    }

    /// <summary>Pushes saved changes to dashboards. Call after the transaction that saved them commits.</summary>
    public async Task PublishAsync(params QueueChange[] changes)
    {
        foreach (var change in changes.Where(c => c.Version > 0).OrderBy(c => c.Version))
        {
            try
            {
                await hub.Clients.All.QueueChanged(await DeltaAsync(change));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The change is saved; dashboards catch up from the heartbeat and a snapshot.
                logger.LogWarning(e, "Could not push queue change {Version}", change.Version);
            }
        }
    }

    public async Task<QueueSnapshot> SnapshotAsync(CancellationToken cancellationToken = default)
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

    private async Task<QueueDelta> DeltaAsync(QueueChange change)
    {
        QueueRow? row = null;
        long? removed = null;
        if (change.ContactId is { } contactId)
        {
            row = (await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).ToQueueRowsAsync()).SingleOrDefault();
            if (row is null || !QueueRowQueries.IsActive(row.Status))
            {
                removed = contactId;
                row = null;
            }
        }
        var advisor = change.StaffUserId is { } userId
            ? await db.Users.AsNoTracking().Where(u => u.Id == userId).ToAdvisorRows().SingleOrDefaultAsync()
            : null;
        return new QueueDelta(change.Version, change.Kind, row, removed, advisor);
    }
}
