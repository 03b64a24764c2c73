using Helpline.PostgresTests.Servers;

[assembly: AssemblyFixture(typeof(PostgresRun))]

namespace Helpline.PostgresTests.Servers;

/// <summary>Stops the run's PostgreSQL server (started by the first app that needed it) when the run ends.</summary>
public sealed class PostgresRun : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (PostgresServer.IsCreated)
            await PostgresServer.Shared.DisposeAsync();
    }
}
