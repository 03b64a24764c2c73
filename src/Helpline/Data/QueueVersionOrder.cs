using Helpline.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace Helpline.Data;

/// <summary>
/// PostgreSQL hands out identity values when a row is inserted, not when it commits: two
/// transactions could commit versions 11 and 10 in that order, and a dashboard that took its
/// snapshot at 11 would skip change 10 for good. On PostgreSQL, a transaction that records a queue
/// change first takes one advisory lock, held until it commits, so versions commit in order (as
/// SQLite's single writer gives for free). The lock is taken as the unit of work is saved, after
/// any conditional update that settled a race, so the time it is held is one insert and a commit.
/// </summary>
internal sealed class QueueVersionOrder : SaveChangesInterceptor
{
    /// <summary>An arbitrary key of this app's own for <c>pg_advisory_xact_lock</c>.</summary>
    private const long LockKey = 0x48656c706c696e65; // "Helpline"

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db && RecordsQueueChange(db))
        {
            if (db.Database.CurrentTransaction is null)
                OwnTransactions.AddOrUpdate(db, await db.Database.BeginWriteTransactionAsync(cancellationToken));
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        }
        return result;
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } db && RecordsQueueChange(db))
        {
            if (db.Database.CurrentTransaction is null)
                OwnTransactions.AddOrUpdate(db, db.Database.BeginTransaction());
            db.Database.ExecuteSqlRaw($"SELECT pg_advisory_xact_lock({LockKey})");
        }
        return result;
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (TakeOwnTransaction(eventData.Context) is { } own)
        {
            await own.CommitAsync(cancellationToken);
            await own.DisposeAsync();
        }
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (TakeOwnTransaction(eventData.Context) is { } own)
        {
            own.Commit();
            own.Dispose();
        }
        return result;
    }

    public override async Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (TakeOwnTransaction(eventData.Context) is { } own)
            await own.DisposeAsync();
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (TakeOwnTransaction(eventData.Context) is { } own)
            own.Dispose();
    }

    // The transaction this interceptor began for a SaveChanges that had none; it commits it after saving.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbContext, IDbContextTransaction> OwnTransactions = new();

    private static IDbContextTransaction? TakeOwnTransaction(DbContext? db)
    {
        if (db is null || !OwnTransactions.TryGetValue(db, out var own))
            return null;
        OwnTransactions.Remove(db);
        return own;
    }

    private static bool RecordsQueueChange(DbContext db) =>
        db.ChangeTracker.Entries<QueueChange>().Any(e => e.State == EntityState.Added);
}
