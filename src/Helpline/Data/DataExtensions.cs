using Helpline.Data.Protection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Helpline.Data;

public sealed class DatabaseOptions
{
    /// <summary>Apply pending migrations when the app starts (the single-machine default).</summary>
    public bool ApplyMigrationsOnStart { get; set; } = true;
}

public static class DataExtensions
{
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration("Database");
        builder.Services.AddOptions<EncryptionOptions>().BindConfiguration("Encryption");

        builder.Services.AddSingleton(sp => FieldKeyLoader.Load(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<EncryptionOptions>>().Value,
            builder.Environment,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FieldKeyLoader))));
        builder.Services.AddSingleton<FieldProtector>();
        builder.Services.AddScoped<EncryptedColumns>();
        builder.Services.AddSingleton<Audit.ListViews>();

        var connectionString = SqliteConnectionString(
            builder.Configuration.GetConnectionString("Helpline") ?? "Data Source=App_Data/helpline.db",
            builder.Environment.ContentRootPath);
        builder.Services.AddDbContext<HelplineDb>(options => options
            .UseSqlite(connectionString)
            .AddInterceptors(new SqliteBusyTimeout())
            .ReplaceService<IModelCacheKeyFactory, KeyRingModelCacheKeyFactory>());
        return builder;
    }

    /// <summary>Resolves a relative SQLite file against the content root and makes sure its folder exists.</summary>
    internal static string SqliteConnectionString(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } file && file != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.GetFullPath(file, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        // Writers wait for each other instead of failing at once with SQLITE_BUSY.
        if (csb.DefaultTimeout < 30)
            csb.DefaultTimeout = 30;
        return csb.ToString();
    }

    /// <summary>Applies migrations (when configured) and puts the SQLite file in WAL mode.</summary>
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
    /// all the app already refuses while loading them.) One scan of each encrypted column.
    /// </summary>
    public static async Task CheckFieldKeysAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        if ((await db.Database.GetPendingMigrationsAsync()).Any())
            return; // not migrated yet (migrations applied elsewhere): /healthz says so, and there is nothing to read
        var configured = db.Protector.Keys.KeyIds;
        var unknown = await scope.ServiceProvider.GetRequiredService<EncryptedColumns>().UnknownKeyIdsAsync(configured);
        if (unknown.Count == 0)
            return;
        var missing = string.Join("; ", unknown.Select(u => $"'{u.Key}' (in {string.Join(", ", u.Value)})"));
        throw new InvalidOperationException(
            $"The database holds caller data encrypted with field-encryption key(s) that are not configured: {missing}. " +
            $"Configured key ids: {string.Join(", ", configured.Order(StringComparer.Ordinal))}. Without the missing key(s) those values cannot be read. " +
            "Restore the key file that holds them (Encryption:KeyFile) from its backup, or give each as Encryption:Keys:<id>; " +
            "see README, \"Keys\" (restoring a key). The app has not started, so nothing was changed.");
    }
}

/// <summary>
/// Lets <c>dotnet ef</c> build the model without starting the app or reading any key. It works on
/// <c>ConnectionStrings__Helpline</c> from the environment, else the default file.
/// </summary>
internal sealed class DesignTimeHelplineDbFactory : IDesignTimeDbContextFactory<HelplineDb>
{
    public HelplineDb CreateDbContext(string[] args) => new(
        new DbContextOptionsBuilder<HelplineDb>()
            .UseSqlite(DataExtensions.SqliteConnectionString(
                Environment.GetEnvironmentVariable("ConnectionStrings__Helpline") ?? "Data Source=App_Data/helpline.db",
                Directory.GetCurrentDirectory()))
            .ReplaceService<IModelCacheKeyFactory, KeyRingModelCacheKeyFactory>()
            .Options,
        new FieldProtector(FieldKeyRing.Generate()));
}
