using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.PhaseSplit.Hosting;

namespace Platform.PhaseSplit.Tests;

public sealed class EngineHostTests
{
    [Fact]
    public void Disposing_twice_is_harmless_as_the_container_does_at_shutdown()
    {
        // Registered as a singleton and as a hosted service, the host is disposed twice on SIGTERM; the
        // second call used to cancel a disposed token source and crash the process on its way out.
        var host = new EngineHost(
            Options.Create(new EngineHostOptions()),
            Options.Create(new EngineOptions()),
            new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>(),
            TimeProvider.System,
            NullLoggerFactory.Instance,
            NullLogger<EngineHost>.Instance);
        host.Dispose();
        host.Dispose();
    }
}
