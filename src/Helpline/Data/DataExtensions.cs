using Helpline.Data.Protection;
using Helpline.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Helpline.Data;

public enum DatabaseProvider
{
    /// <summary>A SQLite file: the single-machine default.</summary>
    Sqlite,

    /// <summary>PostgreSQL: for several app nodes on one database.</summary>
    Postgres,
}

/// <summary>Section "Database".</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations when the app starts (the single-machine default).</summary>
    public bool ApplyMigrationsOnStart { get; set; } = true;
}

/// <summary>The database's setup: the provider's context, field encryption and its <c>keys</c> command, migrating at start.</summary>
public static class DataExtensions
{
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration("Database");
        builder.Services.AddOptions<EncryptionOptions>().BindConfiguration("Encryption");
        var dataDirectory = DataDirectory.From(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(dataDirectory);

        builder.Services.AddSingleton(sp => FieldKeyLoader.Load(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<EncryptionOptions>>().Value,
            dataDirectory,
            builder.Environment,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FieldKeyLoader))));
        builder.Services.AddSingleton<FieldProtector>();
        builder.Services.AddScoped<EncryptedColumns>();
        builder.Services.AddCommand("keys", KeysCommand.RunAsync);

        // The app asks for HelplineDb; the provider's own context type (with its own migrations) answers.
        // The options depend on nothing of a request, so they are built once rather than for every scope.
        var configured = builder.Configuration.GetConnectionString("Helpline");
        if (ProviderOf(builder.Configuration) == DatabaseProvider.Postgres)
        {
            var connectionString = configured is { Length: > 0 } && !configured.Contains("Data Source=", StringComparison.OrdinalIgnoreCase)
                ? configured
                : throw new InvalidOperationException("Database:Provider is Postgres: set ConnectionStrings:Helpline (ConnectionStrings__Helpline) to a PostgreSQL connection string (Host=…;Database=…;Username=…).");
            builder.Services.AddDbContext<HelplineDb, PostgresHelplineDb>(options => options.UsePostgres(connectionString), optionsLifetime: ServiceLifetime.Singleton);
        }
        else
        {
            // A file named relative to the data directory when one is set, else (the directory being
            // the file's own folder) relative to the content root, as before.
            var connectionString = SqliteConnectionString(
                configured is { Length: > 0 } ? configured : $"Data Source={DataDirectory.DatabaseFile}",
                builder.Configuration[DataDirectory.ConfigurationKey] is { Length: > 0 } || configured is not { Length: > 0 } ? dataDirectory.Path : builder.Environment.ContentRootPath);
            builder.Services.AddDbContext<HelplineDb, SqliteHelplineDb>(options => options.UseSqliteFile(connectionString), optionsLifetime: ServiceLifetime.Singleton);
        }
        return builder;
    }

    /// <summary><c>Database:Provider</c>: <c>Sqlite</c> (the default) or <c>Postgres</c>.</summary>
    public static DatabaseProvider ProviderOf(IConfiguration configuration) =>
        configuration["Database:Provider"] is { Length: > 0 } provider
            ? Enum.TryParse<DatabaseProvider>(provider, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new InvalidOperationException($"Database:Provider is '{provider}'; use Sqlite or Postgres.")
            : DatabaseProvider.Sqlite;

    internal static DbContextOptionsBuilder UseSqliteFile(this DbContextOptionsBuilder options, string connectionString) => options
        .UseSqlite(connectionString)
        .AddInterceptors(new SqliteBusyTimeout())
        .ReplaceService<IModelCacheKeyFactory, KeyRingModelCacheKeyFactory>()
        .LogFailuresOnceWhereHandled();

    internal static DbContextOptionsBuilder UsePostgres(this DbContextOptionsBuilder options, string connectionString) => options
        .UseNpgsql(connectionString)
        .AddInterceptors(new QueueVersionOrder())
        .ReplaceService<IModelCacheKeyFactory, KeyRingModelCacheKeyFactory>()
        .LogFailuresOnceWhereHandled();

    /// <summary>
    /// EF Core logs every failed command and save at Error before throwing, even when the caller
    /// expects the failure: a race settled by a unique index (the same CallSid posted twice at once)
    /// showed as an error each time. The exception still reaches its handler, and one that nothing
    /// handles is logged at Error by ASP.NET Core, Hangfire or the background service that ran it.
    /// </summary>
    private static DbContextOptionsBuilder LogFailuresOnceWhereHandled(this DbContextOptionsBuilder options) => options
        .ConfigureWarnings(warnings => warnings.Log(
            (CoreEventId.SaveChangesFailed, LogLevel.Debug),
            (RelationalEventId.CommandError, LogLevel.Debug)));

    /// <summary>Resolves a relative SQLite file against <paramref name="baseDirectory"/> and makes sure its folder exists.</summary>
    internal static string SqliteConnectionString(string connectionString, string baseDirectory)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } file && file != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.GetFullPath(file, baseDirectory);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        // Writers wait for each other instead of failing at once with SQLITE_BUSY.
        if (csb.DefaultTimeout < 30)
            csb.DefaultTimeout = 30;
        return csb.ToString();
    }

    /// <summary>
    /// Applies migrations (when configured) and puts a SQLite file in WAL mode. EF Core takes a
    /// migration lock, so nodes starting together on one PostgreSQL database apply them once.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        if (scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value.ApplyMigrationsOnStart)
            await db.Database.MigrateAsync();
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
    }

    /// <summary>
    /// Refuses to start when the database holds caller data encrypted under a key that is not
    /// configured: the app would fail on every such record, and an operator who removed or lost a
    /// key must hear it now, by name, not from an advisor's error page later. (Without any key at
    /// all the app already refuses while loading them.) The keys recorded as in use
    /// (<see cref="FieldKeyInUse"/>) answer it when each is configured; otherwise, or when none is
    /// recorded yet, every encrypted column is scanned and the record corrected. Then the current
    /// key is recorded, before anything is written with it.
    /// </summary>
    public static async Task CheckFieldKeysAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        if ((await db.Database.GetPendingMigrationsAsync()).Any())
            return; // not migrated yet (migrations applied elsewhere): /healthz says so, and there is nothing to read
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Helpline.Data.FieldKeys");
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var configured = db.Protector.Keys.KeyIds;
        var columns = scope.ServiceProvider.GetRequiredService<EncryptedColumns>();

        var recorded = await db.FieldKeysInUse.Select(k => k.KeyId).ToListAsync();
        if (recorded.Count > 0 && recorded.All(configured.Contains))
        {
            logger.LogInformation("Field keys: the {Count} key(s) recorded as in use are configured", recorded.Count);
        }
        else
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var inUse = await columns.KeyIdsInUseAsync();
            var unknown = inUse.Where(k => !configured.Contains(k.Key)).ToList();
            if (unknown.Count > 0)
            {
                var missing = string.Join("; ", unknown.Select(u => $"'{u.Key}' (in {string.Join(", ", u.Value)})"));
                throw new InvalidOperationException(
                    $"The database holds caller data encrypted with field-encryption key(s) that are not configured: {missing}. " +
                    $"Configured key ids: {string.Join(", ", configured.Order(StringComparer.Ordinal))}. Without the missing key(s) those values cannot be read. " +
                    "Restore the key file that holds them (Encryption:KeyFile) from its backup, or give each as Encryption:Keys:<id>; " +
                    "see README, \"Keys\" (restoring a key). The app has not started, so nothing was changed.");
            }
            await columns.RecordKeysInUseAsync(inUse.Keys, now);
            logger.LogInformation("Field keys: scanned every encrypted column in {Elapsed} ms; key(s) in use: {Keys}",
                (long)clock.Elapsed.TotalMilliseconds, inUse.Count == 0 ? "none" : string.Join(", ", inUse.Keys.Order(StringComparer.Ordinal)));
        }
        await columns.RecordCurrentKeyAsync(db.Protector.Keys.CurrentKeyId, now);
    }
}

/// <summary>
/// Lets <c>dotnet ef</c> build the SQLite model without starting the app or reading any key. It works on
/// <c>ConnectionStrings__Helpline</c> from the environment, else the default file.
/// </summary>
internal sealed class DesignTimeSqliteHelplineDbFactory : IDesignTimeDbContextFactory<SqliteHelplineDb>
{
    public SqliteHelplineDb CreateDbContext(string[] args) => new(
        (DbContextOptions<SqliteHelplineDb>)new DbContextOptionsBuilder<SqliteHelplineDb>()
            .UseSqliteFile(DataExtensions.SqliteConnectionString(
                Environment.GetEnvironmentVariable("ConnectionStrings__Helpline") ?? $"Data Source=App_Data/{DataDirectory.DatabaseFile}",
                Directory.GetCurrentDirectory()))
            .Options,
        new FieldProtector(FieldKeyRing.Generate()));
}

/// <summary>
/// Lets <c>dotnet ef</c> build the PostgreSQL model (and the migration bundle) without starting the app.
/// Adding a migration needs no server; applying one uses <c>ConnectionStrings__Helpline</c> or <c>--connection</c>.
/// </summary>
internal sealed class DesignTimePostgresHelplineDbFactory : IDesignTimeDbContextFactory<PostgresHelplineDb>
{
    public PostgresHelplineDb CreateDbContext(string[] args) => new(
        (DbContextOptions<PostgresHelplineDb>)new DbContextOptionsBuilder<PostgresHelplineDb>()
            .UsePostgres(Environment.GetEnvironmentVariable("ConnectionStrings__Helpline") is { Length: > 0 } configured && !configured.Contains("Data Source=", StringComparison.OrdinalIgnoreCase)
                ? configured
                : "Host=localhost;Database=helpline")
            .Options,
        new FieldProtector(FieldKeyRing.Generate()));
}
