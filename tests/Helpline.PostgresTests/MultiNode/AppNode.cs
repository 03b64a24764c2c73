using System.Diagnostics;
using System.Text;
using Helpline.PostgresTests.Servers;

namespace Helpline.Tests.MultiNode;

/// <summary>
/// One app node: the real app as its own process (<c>dotnet Helpline.dll</c>, Production settings) on
/// a port of its own, as deploy/ runs it. Its output is kept for when a test fails.
/// </summary>
public sealed class AppNode : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public AppNode(string name, int port, Dictionary<string, string> environment)
    {
        Name = name;
        Port = port;
        _environment = environment;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The app process's id while it runs, for reading its CPU time and memory from /proc.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // The app's own appsettings files sit next to Helpline.dll.
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Helpline.dll"));
        foreach (var (key, value) in _environment)
            start.Environment[key] = value;
        start.Environment["ASPNETCORE_URLS"] = BaseUri.ToString();
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await LocalServer.WaitForAsync(async () =>
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"Node {Name} exited ({_process.ExitCode}): {Output}");
            return (await http.GetAsync(new Uri(BaseUri, "/healthz"))).IsSuccessStatusCode;
        }, $"node {Name} to be healthy", TimeSpan.FromMinutes(2));
    }

    /// <summary>SIGKILL: no shutdown, no flush, no chance for Hangfire to hand its jobs back.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            if (_output.Length < 200_000)
                _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // A clean stop (SIGTERM), as systemd would; then make sure.
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process?.Dispose();
    }
}
