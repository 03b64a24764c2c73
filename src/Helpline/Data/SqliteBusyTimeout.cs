using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Helpline.Data;

/// <summary>
/// Lets SQLite itself wait for a write lock held by another writer. Without a busy handler,
/// Microsoft.Data.Sqlite meets SQLITE_BUSY by sleeping 150 ms (blocking a thread) and retrying,
/// which turned every collision between two webhooks into a 150 ms stall (measured by the benchmark).
/// </summary>
/// <remarks>
/// Set on every open, because a pooled connection is handed out again without it being known
/// whether this handle was given one; a direct call rather than a <c>PRAGMA</c> statement, so an
/// open costs no statement to prepare and run. Writers in this process queue before SQLite's
/// handler is ever needed (<see cref="SqliteWriteGate"/>); it remains for any other writer.
/// </remarks>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    private const int Milliseconds = 30_000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Set(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Set(connection);
        return Task.CompletedTask;
    }

    private static void Set(DbConnection connection)
    {
        var handle = ((SqliteConnection)connection).Handle;
        var rc = SQLitePCL.raw.sqlite3_busy_timeout(handle, Milliseconds);
        SqliteException.ThrowExceptionForRC(rc, handle);
    }
}
