using Hangfire;

namespace Helpline.Reports;

/// <summary>Reports' setup: the queries, the CSV downloads, and the recurring job that keeps past days' counts current.</summary>
public static class ReportsExtensions
{
    public static WebApplicationBuilder AddReports(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReportOptions>().BindConfiguration("Reports").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<ReportQueries>();
        builder.Services.AddScoped<ReportCountsJob>();
        return builder;
    }

    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        app.MapExports();
        app.ServiceProvider.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<ReportCountsJob>(ReportCountsJob.Id, job => job.RunAsync(CancellationToken.None), "*/15 * * * *");
        return app;
    }
}
