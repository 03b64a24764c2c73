using Hangfire;
using Helpline.Data;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Callbacks;

/// <summary>
/// Hangfire keeps process-wide defaults (its storage, its job activator); two apps in one process
/// (the test suite, the benchmark) must each run their jobs against their own services.
/// </summary>
public sealed class HangfireIsolationTests
{
    [Fact]
    public async Task AJobRunsAgainstItsOwnAppsDatabaseAfterAnotherAppConfiguredHangfire()
    {
        await using var first = new HelplineApp();
        _ = first.Services;
        // A second app configures Hangfire after the first: Hangfire's process-wide activator is now the second's.
        await using var second = new HelplineApp();
        _ = second.Services;

        // The activator the first app's job server would use creates scopes of the first app.
        var activator = first.Services.GetRequiredService<JobActivator>();
        using var connection = first.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = new BackgroundJob("1", Hangfire.Common.Job.FromExpression<Helpline.Callbacks.CallbackJob>(j => j.RunAsync(1, CancellationToken.None)), DateTime.UtcNow);
        using var scope = activator.BeginScope(new JobActivatorContext(connection, job, new JobCancellationToken(false)));
        var db = (HelplineDb)scope.Resolve(typeof(HelplineDb));
        var firstDatabase = await first.WithDbAsync(d => Task.FromResult(d.Database.GetConnectionString()));
        var secondDatabase = await second.WithDbAsync(d => Task.FromResult(d.Database.GetConnectionString()));
        Assert.NotEqual(firstDatabase, secondDatabase);
        Assert.Equal(firstDatabase, db.Database.GetConnectionString());
        Assert.Same(first.Services.GetRequiredService<JobStorage>(), first.Services.GetRequiredService<JobStorage>());
        Assert.NotSame(first.Services.GetRequiredService<JobStorage>(), second.Services.GetRequiredService<JobStorage>());
    }
}
