using System.Runtime.CompilerServices;

namespace Helpline.Tests.Infrastructure;

internal static class TestProcess
{
    /// <summary>
    /// Every test host would watch its settings files and wwwroot (for asp-append-version) with
    /// inotify; the machine allows 128 instances per user, shared with whatever else runs, and once
    /// they are gone pages answer 500. Tests never edit those files: no reloading, and polling
    /// where a watch is still asked for.
    /// </summary>
    [ModuleInitializer]
    internal static void DoNotWatchFiles()
    {
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "true");
    }
}
