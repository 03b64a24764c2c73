using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Helpline.Callbacks;
using Helpline.Queue;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Helpline.Checks;

/// <summary>
/// The callbacks' reliability check: the real app in its own process (its embedded default: SQLite,
/// callbacks woken from memory), callbacks due over a few minutes, the process killed with SIGKILL
/// part-way (more than once), started again on the same files, until every callback is due. Then it
/// counts, from the database, how many reached the queue, how many were lost and how many twice.
/// Shared by the benchmark program (<c>--crash</c>, 500 callbacks; <c>--surge</c>, 2,000 in a minute
/// with webhooks arriving, on SQLite and PostgreSQL; prints the counts) and the test suite (fewer,
/// asserts them).
/// </summary>
/// <param name="directory">The app's data directory (its SQLite file, keys).</param>
/// <param name="postgres">A PostgreSQL database to run on instead of SQLite.</param>
/// <param name="load">Other traffic while the app is up: given the app's address, runs until cancelled (at each kill).</param>
public sealed class CallbackCrashCheck(string directory, TextWriter log, string? postgres = null, Func<Uri, CancellationToken, Task>? load = null)
{
    /// <summary>The Twilio token the app checks signatures with, for <c>load</c> to sign its webhooks.</summary>
    public const string AuthToken = "crash-check-auth-token-0123456789";

    public sealed record Life(int Number, TimeSpan Lasted, int QueuedWhenEnded, bool Killed);

    public sealed record Result(
        int Callbacks, int Queued, int Lost, int QueuedTwice, int Early, IReadOnlyList<Life> Lives,
        IReadOnlyList<double> LatenessWhileUpMs, TimeSpan Elapsed);

    private string AppDll => Path.Combine(AppContext.BaseDirectory, "Helpline.dll");
    private string Database => Path.Combine(directory, "helpline.db");

    private readonly int _port = FreePort();

    /// <param name="callbacks">How many callbacks to schedule.</param>
    /// <param name="over">The span their due times cover.</param>
    /// <param name="killAt">Fractions of the callbacks queued at which the running process is killed (e.g. 0.3, 0.7).</param>
    public async Task<Result> RunAsync(int callbacks, TimeSpan over, IReadOnlyList<double> killAt, TimeSpan deadline)
    {
        var total = Stopwatch.StartNew();
        var seeded = await RunToEndAsync(["seed", "callbacks", callbacks.ToString(CultureInfo.InvariantCulture), ((int)over.TotalSeconds).ToString(CultureInfo.InvariantCulture), "10"]);
        log.WriteLine($"   seeded: {seeded.Trim()}");

        var lives = new List<Life>();
        var downtimes = new List<(DateTime From, DateTime Until)>();
        DateTime? downSince = null;
        foreach (var fraction in killAt.Append(1.0))
        {
            var threshold = (int)Math.Ceiling(callbacks * fraction);
            using var process = Start([]);
            using var stopLoad = new CancellationTokenSource();
            var traffic = load is null ? Task.CompletedTask : Task.Run(() => load(new Uri($"http://127.0.0.1:{_port}"), stopLoad.Token));
            var life = Stopwatch.StartNew();
            if (downSince is { } since)
                downtimes.Add((since, DateTime.UtcNow));
            var queued = 0;
            while ((queued = await CountAsync("SELECT COUNT(*) FROM \"Callbacks\" WHERE \"Status\" <> @scheduled")) < threshold)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"The app exited by itself with code {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
                if (total.Elapsed > deadline)
                    throw new TimeoutException($"Only {queued} of {callbacks} callbacks reached the queue within {deadline.TotalMinutes:F0} minutes.");
                await Task.Delay(50);
            }
            var killed = fraction < 1.0;
            // SIGKILL: no shutdown, no flush, no chance for Hangfire to hand its jobs back.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await stopLoad.CancelAsync();
            try
            {
                await traffic;
            }
            catch (OperationCanceledException)
            {
            }
            downSince = DateTime.UtcNow;
            lives.Add(new Life(lives.Count + 1, life.Elapsed, queued, killed));
            log.WriteLine($"   life {lives.Count}: {(killed ? "SIGKILL" : "stopped")} after {life.Elapsed.TotalSeconds:F1} s with {queued} of {callbacks} callbacks in the queue");
        }

        // Exactly once: each callback's contact entered the queue once (queue changes are the record of it).
        var perContact = await ReadAsync(
            """
            SELECT cb."DueAt", COUNT(q."Version"), MIN(q."At")
            FROM "Callbacks" cb LEFT JOIN "QueueChanges" q ON q."ContactId" = cb."ContactId" AND q."Kind" = @queued
            GROUP BY cb."Id", cb."DueAt"
            """,
            r => (Due: Utc(r.GetDateTime(0)), Times: Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture), At: r.IsDBNull(2) ? (DateTime?)null : Utc(r.GetDateTime(2))));
        var lateness = perContact
            .Where(c => c.At is not null && !downtimes.Any(d => c.Due >= d.From.AddSeconds(-1) && c.Due <= d.Until.AddSeconds(15)))
            .Select(c => (c.At!.Value - c.Due).TotalMilliseconds).ToList();
        return new Result(
            perContact.Count,
            perContact.Count(c => c.Times >= 1),
            perContact.Count(c => c.Times == 0),
            perContact.Count(c => c.Times > 1),
            perContact.Count(c => c.At < c.Due),
            lives, lateness, total.Elapsed);
    }

    public static void Print(Result result, TextWriter log)
    {
        log.WriteLine($"   callbacks scheduled:                 {result.Callbacks}");
        log.WriteLine($"   reached the queue:                   {result.Queued}");
        log.WriteLine($"   lost (never queued):                 {result.Lost}");
        log.WriteLine($"   doubled (queued more than once):     {result.QueuedTwice}");
        log.WriteLine($"   queued before their due time:        {result.Early}");
        log.WriteLine($"   processes killed with SIGKILL:       {result.Lives.Count(l => l.Killed)}");
        if (result.LatenessWhileUpMs.Count > 0)
        {
            var sorted = result.LatenessWhileUpMs.Order().ToList();
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   lateness of those due while the app was up ({sorted.Count}): p50 {sorted[sorted.Count / 2]:F0} ms, max {sorted[^1]:F0} ms"));
        }
        log.WriteLine($"   whole check: {result.Elapsed.TotalSeconds:F0} s");
    }

    private Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // The app's own appsettings files sit next to Helpline.dll; its data goes to the check's folder.
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(AppDll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_port}",
            ["Twilio__AuthToken"] = AuthToken,
            ["Simulator__Enabled"] = "false",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Error",
            // Everything the app writes goes under this one folder: the database, the field-key file
            // (created in Development) and the data-protection keys.
            ["DataDirectory"] = directory,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Hangfire"] = "Warning",
        };
        if (postgres is not null)
        {
            environment["Database__Provider"] = "Postgres";
            environment["ConnectionStrings__Helpline"] = postgres;
        }
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app.");
        // Drain its output so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private async Task<string> RunToEndAsync(string[] arguments)
    {
        using var process = Start(arguments);
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet Helpline.dll {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        return $"{arguments[2]} callbacks due over {arguments[3]} s";
    }

    private async Task<int> CountAsync(string sql) => (await ReadAsync(sql, r => Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture))).Single();

    private async Task<List<T>> ReadAsync<T>(string sql, Func<DbDataReader, T> read)
    {
        await using DbConnection connection = postgres is null
            ? new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False")
            : new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        if (postgres is null)
        {
            command.CommandText = "PRAGMA busy_timeout = 5000;";
            await command.ExecuteNonQueryAsync();
        }
        command.CommandText = sql;
        foreach (var (name, value) in new (string, object)[] { ("scheduled", (int)CallbackStatus.Scheduled), ("queued", QueueChangeKinds.ContactQueued) })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    /// <summary>A loopback port free now: the app is started on it each time, so the load knows where to send.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
