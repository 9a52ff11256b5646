using Platform.RequestBus.Kafka;

namespace Platform.RequestBus.Tests;

/// <summary>The contract on a real Kafka broker (<see cref="KafkaBrokerFixture"/>).</summary>
public sealed class KafkaBrokerBusTests(KafkaBrokerFixture broker) : BusContractTests, IClassFixture<KafkaBrokerFixture>
{
    protected override Task<IRequestBus> CreateBusAsync(BusOptions options)
    {
        Skip.If(broker.BootstrapServers is null, broker.Missing);
        return Task.FromResult<IRequestBus>(new KafkaRequestBus(broker.BootstrapServers!, options, TimeProvider.System));
    }
}
