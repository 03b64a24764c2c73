using Helpline.Data;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task AWriterWaitsInTheAppUntilTheOneAheadCommits()
    {
        await using var app = new HelplineApp();
        _ = app.CreateClient();
        await using var first = app.Services.CreateAsyncScope();
        await using var second = app.Services.CreateAsyncScope();
        var firstDb = first.ServiceProvider.GetRequiredService<HelplineDb>();
        var secondDb = second.ServiceProvider.GetRequiredService<HelplineDb>();

        var ahead = await firstDb.Database.BeginWriteTransactionAsync();
        var behind = secondDb.Database.BeginWriteTransactionAsync();
        await Task.Delay(200);
        Assert.False(behind.IsCompleted);

        await ahead.CommitAsync();
        await using var next = await behind.WaitAsync(TimeSpan.FromSeconds(10));
        await ahead.DisposeAsync();
        await next.CommitAsync();
    }

    [Fact]
    public async Task AWriterThatNeverCommitsLetsTheNextOneInWhenDisposed()
    {
        await using var app = new HelplineApp();
        _ = app.CreateClient();
        await using var first = app.Services.CreateAsyncScope();
        await using var second = app.Services.CreateAsyncScope();
        var firstDb = first.ServiceProvider.GetRequiredService<HelplineDb>();
        var secondDb = second.ServiceProvider.GetRequiredService<HelplineDb>();

        var abandoned = await firstDb.Database.BeginWriteTransactionAsync();
        var behind = secondDb.Database.BeginWriteTransactionAsync();
        await abandoned.DisposeAsync();

        await using var next = await behind.WaitAsync(TimeSpan.FromSeconds(10));
        await next.CommitAsync();
    }
}
