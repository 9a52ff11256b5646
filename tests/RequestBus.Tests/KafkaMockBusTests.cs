using Platform.RequestBus.Kafka;

namespace Platform.RequestBus.Tests;

/// <summary>The contract on real Kafka protocol: librdkafka's mock brokers, reached over loopback sockets.</summary>
public sealed class KafkaMockBusTests(KafkaMockClusterFixture cluster) : BusContractTests, IClassFixture<KafkaMockClusterFixture>
{
    protected override Task<IRequestBus> CreateBusAsync(BusOptions options) =>
        Task.FromResult<IRequestBus>(new KafkaRequestBus(cluster.BootstrapServers, options, TimeProvider.System));
}
