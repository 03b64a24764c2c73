using System.Diagnostics;
using System.Net.Sockets;

namespace Helpline.PostgresTests.Servers;

/// <summary>
/// A real Redis (Debian's redis-server) on a private port, nothing persisted, as the <c>redis</c> user
/// when the tests run as root. Tests stop and start it again on the same port.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string Install = "Redis is not installed: apt-get install redis-server (tests start their own server).";

    private readonly string? _user = LocalServer.RunAsUser("redis");
    private readonly string _directory;
    private Process? _process;

    private RedisServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Why there is no Redis on this machine (null when there is); under CI=true a missing Redis throws instead.</summary>
    public static string? Unavailable()
    {
        if (File.Exists("/usr/bin/redis-server"))
            return null;
        return LocalServer.UnderCi ? throw new InvalidOperationException(Install + " (CI must install it; see .ci/run).") : Install;
    }

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(LocalServer.TempDirectory("helpline-redis-", LocalServer.RunAsUser("redis")), LocalServer.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        _process = Process.Start(LocalServer.StartInfo(_user, "/usr/bin/redis-server",
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no"]))
            ?? throw new InvalidOperationException("Could not start redis-server.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await LocalServer.WaitForAsync(() => Task.FromResult(Answers()), $"Redis on port {Port}", TimeSpan.FromSeconds(60));
    }

    /// <summary>Stops Redis as a crash would (SIGKILL), and waits until its port is closed.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
        await LocalServer.WaitForAsync(() => Task.FromResult(!Answers()), $"Redis on port {Port} to stop", TimeSpan.FromSeconds(30));
    }

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            using var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            stream.ReadTimeout = 1000;
            var read = stream.Read(buffer);
            return read > 0 && buffer[0] == (byte)'+';
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
