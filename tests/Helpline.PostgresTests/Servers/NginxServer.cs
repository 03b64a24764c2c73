using System.Diagnostics;
using System.Net.Sockets;

namespace Helpline.PostgresTests.Servers;

/// <summary>
/// A real nginx (Debian's package) in front of the app nodes, started with a generated config in a
/// temp folder: round robin over the nodes, WebSockets proxied, forwarded headers set. For tests, a
/// request carrying <c>X-Test-Node: N</c> is sent to node N (still through nginx), so a test can put
/// a dashboard on a chosen node.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    public const string Install = "nginx is not installed: apt-get install nginx (tests start their own server).";
    public const string NodeHeader = "X-Test-Node";

    private readonly string _directory;
    private Process? _process;

    private NginxServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    public static string? Unavailable()
    {
        if (File.Exists("/usr/sbin/nginx"))
            return null;
        return LocalServer.UnderCi ? throw new InvalidOperationException(Install + " (CI must install it; see .ci/run).") : Install;
    }

    public static async Task<NginxServer> StartAsync(IReadOnlyList<int> nodePorts)
    {
        var server = new NginxServer(Directory.CreateTempSubdirectory("helpline-nginx-").FullName, LocalServer.FreePort());
        // nginx's workers drop root: they must reach their temp folders.
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(server._directory, (UnixFileMode)Convert.ToInt32("755", 8));
        var config = Path.Combine(server._directory, "nginx.conf");
        await File.WriteAllTextAsync(config, server.Config(nodePorts));
        server._process = Process.Start(LocalServer.StartInfo(null, "/usr/sbin/nginx", ["-c", config, "-p", server._directory, "-e", Path.Combine(server._directory, "error.log")]))
            ?? throw new InvalidOperationException("Could not start nginx.");
        server._process.OutputDataReceived += (_, _) => { };
        server._process.ErrorDataReceived += (_, _) => { };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await LocalServer.WaitForAsync(() =>
        {
            if (server._process.HasExited)
                throw new InvalidOperationException("nginx exited: " + File.ReadAllText(Path.Combine(server._directory, "error.log")));
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", server.Port);
                return Task.FromResult(true);
            }
            catch (SocketException)
            {
                return Task.FromResult(false);
            }
        }, $"nginx on port {server.Port}", TimeSpan.FromSeconds(30));
        return server;
    }

    private string Config(IReadOnlyList<int> nodePorts)
    {
        var temp = string.Join('\n', new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" }
            .Select(t => $"    {t}_temp_path {Path.Combine(_directory, t)};"));
        var nodes = string.Join('\n', nodePorts.Select(p => $"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"));
        var pinned = string.Join('\n', nodePorts.Select((p, i) => $"        {i} 127.0.0.1:{p};"));
        return $$"""
            daemon off;
            worker_processes 1;
            pid {{Path.Combine(_directory, "nginx.pid")}};
            error_log {{Path.Combine(_directory, "error.log")}} warn;
            worker_rlimit_nofile 40000;
            events { worker_connections 16384; }
            http {
                access_log off;
            {{temp}}
                upstream helpline {
            {{nodes}}
                    keepalive 64;
                }
                map $http_upgrade $connection_upgrade {
                    default upgrade;
                    ''      "";
                }
                map $http_x_test_node $helpline_upstream {
                    default helpline;
            {{pinned}}
                }
                server {
                    listen 127.0.0.1:{{Port}};
                    client_max_body_size 20m;
                    location / {
                        proxy_pass http://$helpline_upstream;
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        proxy_set_header X-Forwarded-Host $http_host;
                        proxy_read_timeout 1h;
                        proxy_next_upstream error timeout;
                    }
                }
            }
            """;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
