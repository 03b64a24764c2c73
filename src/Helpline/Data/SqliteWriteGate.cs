using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Helpline.Data;

/// <summary>
/// One writer at a time per SQLite file within this process, queued in order, before SQLite is asked
/// for its write lock. SQLite has a single write lock; writers that meet it held wait in its busy
/// handler, which polls with sleeps that grow to 100 ms, so under a burst of webhooks the lock sat
/// free while the next writer slept, and an unlucky one lost the race again and again (p99 in the
/// hundreds of milliseconds). Here the next writer starts the moment the last one commits.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite begins with <c>BEGIN IMMEDIATE</c>, so the write lock is taken at the start
/// (with the busy timeout) rather than when a read turns into a write, where SQLite would answer
/// SQLITE_BUSY at once. Writers in other processes still meet the busy timeout. On PostgreSQL the
/// gate is not used: it has row locks, and several nodes share the database.
/// </remarks>
internal static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <summary>Begins a write transaction, after the writers of this process ahead of it have finished theirs.</summary>
    public static async Task<IDbContextTransaction> BeginWriteTransactionAsync(this DatabaseFacade database, CancellationToken cancellationToken = default)
    {
        if (!database.IsSqlite())
            return await database.BeginTransactionAsync(cancellationToken);

        // Keyed by the connection string, which names the file as configured whether or not the connection is open.
        var gate = Gates.GetOrAdd(database.GetConnectionString() ?? "", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            return new GatedTransaction(await database.BeginTransactionAsync(cancellationToken), gate);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>The transaction, which lets the next writer in once it has committed, rolled back or been disposed.</summary>
    private sealed class GatedTransaction(IDbContextTransaction inner, SemaphoreSlim gate) : IDbContextTransaction, IInfrastructure<DbTransaction>
    {
        private int _released;

        public Guid TransactionId => inner.TransactionId;

        public bool SupportsSavepoints => inner.SupportsSavepoints;

        DbTransaction IInfrastructure<DbTransaction>.Instance => inner.GetDbTransaction();

        public void Commit()
        {
            try
            {
                inner.Commit();
            }
            finally
            {
                Release();
            }
        }

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.CommitAsync(cancellationToken);
            }
            finally
            {
                Release();
            }
        }

        public void Rollback()
        {
            try
            {
                inner.Rollback();
            }
            finally
            {
                Release();
            }
        }

        public async Task RollbackAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.RollbackAsync(cancellationToken);
            }
            finally
            {
                Release();
            }
        }

        public void CreateSavepoint(string name) => inner.CreateSavepoint(name);

        public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.CreateSavepointAsync(name, cancellationToken);

        public void RollbackToSavepoint(string name) => inner.RollbackToSavepoint(name);

        public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.RollbackToSavepointAsync(name, cancellationToken);

        public void ReleaseSavepoint(string name) => inner.ReleaseSavepoint(name);

        public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.ReleaseSavepointAsync(name, cancellationToken);

        public void Dispose()
        {
            try
            {
                inner.Dispose();
            }
            finally
            {
                Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                Release();
            }
        }

        // Commit, then dispose: the gate is let go once, at the first of them.
        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }
}
