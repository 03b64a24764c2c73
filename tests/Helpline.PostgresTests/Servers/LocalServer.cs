using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Helpline.PostgresTests.Servers;

/// <summary>
/// What the fixtures that start real servers (PostgreSQL, Redis, nginx from Debian's packages) share:
/// finding the binaries, free loopback ports, and running a command as a non-root user (PostgreSQL's
/// initdb refuses root). Without the binaries the tests skip with the install command, except under
/// CI=true, where they fail: a broken install step must never pass.
/// </summary>
internal static class LocalServer
{
    public static bool UnderCi => Environment.GetEnvironmentVariable("CI") == "true";

    /// <summary>Root runs the servers as this package-created system user; anyone else runs them as themselves.</summary>
    public static string? RunAsUser(string user) => Environment.UserName == "root" ? user : null;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A fresh folder the server's user may write to.</summary>
    public static string TempDirectory(string prefix, string? owner)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        if (owner is not null)
            RunAsync("chown", ["-R", owner, directory]).GetAwaiter().GetResult();
        return directory;
    }

    public static ProcessStartInfo StartInfo(string? user, string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(user is null ? file : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (user is not null)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(user);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>Runs a command to its end; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string? user = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(user, file, arguments)) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cancel.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', process.StartInfo.ArgumentList)} failed ({process.ExitCode}): {await output} {await error}");
        return await output;
    }

    /// <summary>Waits for a condition with a generous deadline, polling.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < deadline)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (Exception e)
            {
                last = e;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Gave up waiting for {what} after {deadline.TotalSeconds:F0} s.", last);
    }
}
