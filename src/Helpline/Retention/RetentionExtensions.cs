using Hangfire;
using Helpline.Infrastructure;

namespace Helpline.Retention;

/// <summary>Retention's setup: the nightly job that anonymizes old contacts, and its <c>retention run</c> command.</summary>
public static class RetentionExtensions
{
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration("Retention").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<RetentionJob>();
        builder.Services.AddCommand("retention", RunCommandAsync);
        return builder;
    }

    /// <summary>Every night at 03:30 UTC (a quiet hour on US lines), through the app's own job manager.</summary>
    public static WebApplication ScheduleRetention(this WebApplication app)
    {
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<RetentionJob>(RetentionJob.Id, job => job.RunAsync(CancellationToken.None), "30 3 * * *");
        return app;
    }

    /// <summary><c>retention run</c>: one run now, with the same settings, printing what it did.</summary>
    public static async Task<int> RunCommandAsync(WebApplication app, string[] args)
    {
        if (args is not ["run"])
        {
            Console.Error.WriteLine("Usage: retention run   (anonymizes contacts older than Retention:Days now, as the nightly job does)");
            return 2;
        }
        await using var scope = app.Services.CreateAsyncScope();
        var run = await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
        Console.WriteLine(run.Details + ".");
        return 0;
    }
}
