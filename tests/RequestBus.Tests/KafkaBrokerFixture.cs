using DotNet.Testcontainers.Configurations;
using Testcontainers.Kafka;

namespace Platform.RequestBus.Tests;

/// <summary>
/// A real Kafka broker: the one <c>KAFKA_BOOTSTRAP_SERVERS</c> names, or a Testcontainers broker where Docker
/// runs; neither here means the tests skip, saying what they need.
/// </summary>
public sealed class KafkaBrokerFixture : IAsyncLifetime
{
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
            Missing = "needs a real Kafka broker: set KAFKA_BOOTSTRAP_SERVERS, or run Docker for Testcontainers (neither is available here)";
            return;
        }
        _container = new KafkaBuilder("confluentinc/cp-kafka:7.6.1").Build();
        await _container.StartAsync();
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
