using DotNet.Testcontainers.Configurations;
using Testcontainers.Kafka;

namespace Platform.RequestBus.Tests;

/// <summary>
/// A real Kafka broker: the one <c>KAFKA_BOOTSTRAP_SERVERS</c> names, or a Testcontainers broker where Docker
/// runs; neither here means the tests skip, saying what they need.
/// </summary>
public sealed class KafkaBrokerFixture : IAsyncLifetime
{
    private const string Image = "confluentinc/cp-kafka:7.6.1";
    private KafkaContainer? _container;

    public string? BootstrapServers { get; private set; }

    public string? Missing { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS") is { Length: > 0 } servers)
        {
            BootstrapServers = servers;
            return;
        }
        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is null)
        {
            // No engine, or one whose API is older than Testcontainers speaks (Debian 12's docker.io 20.10: API 1.41).
            Missing = "needs a real Kafka broker: set KAFKA_BOOTSTRAP_SERVERS, or run a Docker engine Testcontainers can use (none here)";
            return;
        }
        _container = new KafkaBuilder(Image).Build();
        try
        {
            await _container.StartAsync();
        }
        catch (Exception e)
        {
            // An engine that cannot pull the image (no registry access) has no broker to offer either.
            await _container.DisposeAsync();
            _container = null;
            Missing = $"needs a real Kafka broker: set KAFKA_BOOTSTRAP_SERVERS; Docker could not start {Image}: {e.GetType().Name}: {e.Message}";
            return;
        }
        BootstrapServers = _container.GetBootstrapAddress();
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
