using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Data;

/// <summary>How writers to the SQLite file wait for each other instead of failing or stalling.</summary>
public sealed class SqliteWritersTests
{
    [Fact]
    public async Task EveryConnectionTheAppOpensWaitsForTheWriteLock()
    {
        await using var app = new HelplineApp();
        _ = app.CreateClient();

        // Twice: the second open is handed a pooled connection, which must still have the timeout.
        for (var i = 0; i < 2; i++)
        {
            var timeout = await app.WithDbAsync(db => db.Database.SqlQueryRaw<long>("SELECT \"timeout\" AS \"Value\" FROM pragma_busy_timeout()").ToListAsync());
            Assert.Equal([30_000L], timeout);
        }
    }
}
