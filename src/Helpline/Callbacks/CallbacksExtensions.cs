using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.InMemory;
using Helpline.Data;
using Helpline.Accounts;
using Microsoft.Extensions.Options;

namespace Helpline.Callbacks;

/// <summary>Callbacks' setup: Hangfire (its storage by provider), the dispatcher and the job, the dashboard and the staff API.</summary>
public static class CallbacksExtensions
{
    public static WebApplicationBuilder AddCallbacks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CallbackOptions>().BindConfiguration("Callbacks").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<HangfireOptions>().BindConfiguration("Hangfire").ValidateDataAnnotations().ValidateOnStart();
        var hangfire = builder.Configuration.GetSection("Hangfire").Get<HangfireOptions>() ?? new HangfireOptions();

        // The storage is this app's own service, never Hangfire's process-wide JobStorage.Current:
        // a second app in the same process (tests, the benchmark) must not take over this one's jobs.
        if (DataExtensions.ProviderOf(builder.Configuration) == DatabaseProvider.Postgres)
            AddSharedJobStorage(builder, hangfire);
        else
            AddInMemoryJobStorage(builder.Services);
        AddHangfire(builder.Services, hangfire);

        builder.Services.AddScoped<CallbackJob>();
        builder.Services.AddScoped<CallbackDialling>();
        builder.Services.AddScoped<CallbackDesk>();
        builder.Services.AddScoped<QueuedCallbacks>();
        builder.Services.AddHostedService<QueuedCallbackWatch>();
        builder.Services.AddSingleton<CallbackDispatcher>();
        builder.Services.AddSingleton<CallbackDueGate>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CallbackDueGate>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CallbackDispatcher>());
        builder.Services.AddHealthChecks().AddCheck<CallbackHealthCheck>("callbacks");
        return builder;
    }

    /// <summary>
    /// Shared by every node: a job is fetched by one worker on one node (row locks), and the
    /// schema is Hangfire's own, in the app's database unless ConnectionStrings:Hangfire names another.
    /// </summary>
    private static void AddSharedJobStorage(WebApplicationBuilder builder, HangfireOptions hangfire)
    {
        var connectionString = builder.Configuration.GetConnectionString("Hangfire") is { Length: > 0 } own
            ? own
            : builder.Configuration.GetConnectionString("Helpline");
        builder.Services.AddSingleton<JobStorage>(_ => new PostgreSqlStorage(
            new NpgsqlConnectionFactory(connectionString, new PostgreSqlStorageOptions()),
            new PostgreSqlStorageOptions
            {
                SchemaName = hangfire.Schema,
                // LISTEN/NOTIFY: a worker hears of an enqueued job at once instead of polling for it.
                EnableLongPolling = true,
                QueuePollInterval = hangfire.QueuePollInterval,
                // A node killed mid-job: its job is handed to another after this, not after 30 minutes;
                // while a job runs, the sliding timeout keeps it from being taken twice.
                InvisibilityTimeout = TimeSpan.FromMinutes(2),
                UseSlidingInvisibilityTimeout = true,
                PrepareSchemaIfNecessary = true,
            }));
    }

    /// <summary>
    /// One node on a SQLite file: the database is the truth of every callback, and Hangfire only
    /// wakes each at its time, from memory. There is no second SQLite library in the process and
    /// no job file to tear: a crash loses only wake-ups, and the dispatcher makes them again at
    /// start from the Scheduled rows. Job ids are GUIDs so an id from before a restart never
    /// names a job of this one.
    /// </summary>
    private static void AddInMemoryJobStorage(IServiceCollection services) =>
        services.AddSingleton<JobStorage>(_ => new InMemoryStorage(new InMemoryStorageOptions
        {
            IdType = InMemoryStorageIdType.Guid,
            // Finished jobs stay visible on /hangfire for an hour, then free their memory.
            MaxExpirationTime = TimeSpan.FromHours(1),
        }));

    private static void AddHangfire(IServiceCollection services, HangfireOptions hangfire)
    {
        // Likewise the job activator: Hangfire's own registration hands out the process-wide
        // JobActivator.Current, which is whichever app was configured last. Under the test suite that
        // was another app, so a job ran against another app's database and "succeeded" doing nothing.
        services.AddSingleton<JobActivator>(provider => new Hangfire.AspNetCore.AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, configuration) => configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseStorage(provider.GetRequiredService<JobStorage>()));
        if (hangfire.ServerEnabled)
        {
            services.AddHangfireServer(server =>
            {
                server.SchedulePollingInterval = hangfire.SchedulePollingInterval;
                server.WorkerCount = hangfire.WorkerCount;
            });
        }
    }

    /// <summary>
    /// Hangfire's dashboard, for supervisors (the app's sign-in, not Hangfire's local-only default);
    /// then the callbacks' staff API.
    /// </summary>
    public static IEndpointRouteBuilder MapCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [], AppPath = "/wallboard", DashboardTitle = "Helpline jobs" })
            .RequireAuthorization(AccountsExtensions.SupervisorPolicy)
            .Add(endpoint => endpoint.RequestDelegate = StatsOnlyAsAFormPost(endpoint.RequestDelegate!));
        app.MapCallbackApi();
        return app;
    }

    /// <summary>
    /// Hangfire's <c>/hangfire/stats</c> (the dashboard's live counters) reads a form whatever the
    /// request, and throws (a 500) on anything but a form post: a GET is 405, another body 415.
    /// </summary>
    private static RequestDelegate StatsOnlyAsAFormPost(RequestDelegate hangfire) => context =>
    {
        if (!context.Request.Path.Equals("/hangfire/stats", StringComparison.OrdinalIgnoreCase))
            return hangfire(context);
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return Results.Problem(statusCode: StatusCodes.Status405MethodNotAllowed, title: "Method not allowed",
                detail: "The dashboard's counters are posted as a form.").ExecuteAsync(context);
        }
        if (!context.Request.HasFormContentType)
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "The dashboard's counters are posted as a form.").ExecuteAsync(context);
        return hangfire(context);
    };
}
