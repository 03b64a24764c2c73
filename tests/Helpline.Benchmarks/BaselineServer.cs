using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Helpline.Benchmarks;

/// <summary>
/// The floor the app is measured against, hosted by the benchmark itself (no part of the app): bare
/// Kestrel on loopback, one endpoint that reads the same form and does one SQLite insert per request
/// (Microsoft.Data.Sqlite, pooled connections, WAL mode, its own temp file, the same command timeout).
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite 10.0.15 sets no SQLite busy handler: a statement that finds the database
/// locked by another writer is retried after <c>Thread.Sleep(150)</c> (SqliteConnectionInternal.RetryWhileBusy,
/// SqliteDataReader.NextResult), which also blocks a thread-pool thread. The app runs on exactly that.
/// With <c>nativeBusyWait</c> each request first sets <c>PRAGMA busy_timeout</c>, so SQLite itself waits
/// for the lock in short steps and the driver never sees SQLITE_BUSY: the same endpoint without that sleep.
/// </remarks>
internal sealed class BaselineServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _connectionString;

    private readonly string _insert;

    private BaselineServer(WebApplication app, string connectionString, bool nativeBusyWait)
    {
        _app = app;
        _connectionString = connectionString;
        _insert = (nativeBusyWait ? "PRAGMA busy_timeout=30000; " : "") +
                  "INSERT INTO calls (call_sid, from_number, from_state, received_at) VALUES ($sid, $from, $state, $at)";
    }

    public Uri BaseUri { get; private set; } = null!;

    public string DatabasePath { get; private init; } = "";

    public static async Task<BaselineServer> StartAsync(string directory, string name, bool nativeBusyWait)
    {
        var databasePath = Path.Combine(directory, name + ".db");
        // As the app builds its own: a file, pooled connections, writers wait up to 30 s for each other.
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, DefaultTimeout = 30, Pooling = true }.ToString();
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE calls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    call_sid TEXT NOT NULL,
                    from_number TEXT,
                    from_state TEXT,
                    received_at TEXT NOT NULL);
                CREATE UNIQUE INDEX ix_calls_call_sid ON calls(call_sid);
                """;
            await create.ExecuteNonQueryAsync();
        }

        // Content root: the temp folder, so no appsettings.json (the app's is in the output folder) is read.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = directory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new BaselineServer(app, connectionString, nativeBusyWait) { DatabasePath = databasePath };
        app.MapPost("/twilio/voice/incoming", server.IncomingAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        server.BaseUri = new Uri($"http://127.0.0.1:{address.Port}");
        return server;
    }

    private async Task<IResult> IncomingAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var insert = connection.CreateCommand();
        insert.CommandText = _insert;
        insert.Parameters.AddWithValue("$sid", form["CallSid"].ToString());
        insert.Parameters.AddWithValue("$from", form["From"].ToString());
        insert.Parameters.AddWithValue("$state", form["FromState"].ToString());
        insert.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
        await insert.ExecuteNonQueryAsync();
        return Results.Content("<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Say>Thank you for calling.</Say></Response>", "application/xml");
    }

    public async Task<long> CountAsync()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM calls";
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>A PRAGMA's value on a fresh connection to this database (e.g. journal_mode, synchronous).</summary>
    public static async Task<string> PragmaAsync(string databasePath, string pragma)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma}";
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
