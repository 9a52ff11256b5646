using Platform.RequestBus.Kafka;

namespace Platform.RequestBus.Tests;

/// <summary>librdkafka's mock cluster (3 brokers on loopback) for a test class.</summary>
public sealed class KafkaMockClusterFixture : IDisposable
{
    private readonly Lazy<KafkaMockCluster> _cluster = new(() => KafkaMockCluster.Start(3));

    public string BootstrapServers => _cluster.Value.BootstrapServers;

    public void Dispose()
    {
        if (_cluster.IsValueCreated)
        {
            _cluster.Value.Dispose();
        }
    }
}
