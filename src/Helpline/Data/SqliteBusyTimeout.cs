using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Helpline.Data;

/// <summary>
/// Lets SQLite itself wait for a write lock held by another writer. Without a busy handler,
/// Microsoft.Data.Sqlite meets SQLITE_BUSY by sleeping 150 ms (blocking a thread) and retrying,
/// which turned every collision between two webhooks into a 150 ms stall (measured by the benchmark).
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
