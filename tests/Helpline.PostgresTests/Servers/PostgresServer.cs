using Helpline.Data;
using Helpline.Data.Protection;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Helpline.PostgresTests.Servers;

/// <summary>
/// One real PostgreSQL server per test run (Debian's package), started in a temp folder on a private
/// port as the <c>postgres</c> user, with durability switched off (test data only; see <see cref="Durable"/>). Each app gets a
/// fresh database copied from a template that has the app's PostgreSQL migrations applied once.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Install = "PostgreSQL is not installed: apt-get install postgresql (tests start their own server).";

    private const string Template = "helpline_template";
    private static readonly Lazy<PostgresServer> Instance = new(() => new PostgresServer());
    private static int _databases;

    private readonly SemaphoreSlim _create = new(1, 1);
    private readonly string? _bin;
    private readonly string? _user = LocalServer.RunAsUser("postgres");
    private string? _data;
    private bool _templateReady;

    /// <summary>
    /// Set before first use for a server that syncs to disk as a real one does (the benchmark);
    /// the tests run without fsync, their data being thrown away.
    /// </summary>
    public static bool Durable { get; set; }

    /// <summary>The run's server, started on first use and stopped when the run ends.</summary>
    public static PostgresServer Shared => Instance.Value;

    public static bool IsCreated => Instance.IsValueCreated;

    /// <summary>Why there is no server on this machine, or null.</summary>
    public string? Unavailable { get; private set; }

    public int Port { get; private set; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=helpline;Database=postgres;Pooling=false;Timeout=30";

    private PostgresServer()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (_bin is null)
        {
            Unavailable = Install;
            if (LocalServer.UnderCi)
                throw new InvalidOperationException(Install + " (CI must install it; see .ci/run).");
            return;
        }
        StartAsync().GetAwaiter().GetResult();
    }

    private async Task StartAsync()
    {
        _data = Path.Combine(LocalServer.TempDirectory("helpline-pg-", _user), "data");
        await LocalServer.RunAsync(Path.Combine(_bin!, "initdb"), ["-D", _data, "-U", "helpline", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], _user);
        Port = LocalServer.FreePort();
        var options = string.Join(' ',
            $"-p {Port}", "-c listen_addresses=127.0.0.1", $"-c unix_socket_directories={Path.GetDirectoryName(_data)}",
            Durable ? "" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off", "-c max_connections=400", "-c shared_buffers=64MB");
        await LocalServer.RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", _data, "-l", Path.Combine(Path.GetDirectoryName(_data)!, "server.log"), "-o", options, "-w", "-t", "120", "start"], _user);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    /// <summary>A new, empty-but-migrated database for one app; returns its connection string.</summary>
    public string CreateDatabase()
    {
        if (Unavailable is not null)
            throw new InvalidOperationException(Unavailable);
        var name = $"helpline_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        _create.Wait();
        try
        {
            if (!_templateReady)
            {
                Execute($"CREATE DATABASE {Template}");
                var template = ConnectionString(Template);
                using (var db = new PostgresHelplineDb(
                    new DbContextOptionsBuilder<PostgresHelplineDb>().UseNpgsql(template).Options,
                    new FieldProtector(FieldKeyRing.Generate())))
                {
                    db.Database.Migrate();
                }
                NpgsqlConnection.ClearAllPools();
                _templateReady = true;
            }
            Execute($"CREATE DATABASE {name} TEMPLATE {Template}");
        }
        finally
        {
            _create.Release();
        }
        return ConnectionString(name);
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=helpline;Database={database};Timeout=30;Command Timeout=60";

    public void DropDatabase(string connectionString)
    {
        if (Unavailable is not null)
            return;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private void Stop()
    {
        if (_data is null)
            return;
        try
        {
            LocalServer.RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", _data, "-m", "immediate", "-w", "stop"], _user).GetAwaiter().GetResult();
            Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Already stopped, or files still held: the temp folder is cleaned by the OS.
        }
        _data = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
