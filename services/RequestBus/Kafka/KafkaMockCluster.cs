using Confluent.Kafka;

namespace Platform.RequestBus.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster: real Kafka-protocol brokers on loopback ports, living as long as this
/// object, usable by any client in any process through <see cref="BootstrapServers"/>. For tests and local
/// multi-process runs without a broker; topics auto-create with 4 partitions and keep only a few MB each.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    private readonly IAdminClient _owner;

    private KafkaMockCluster(IAdminClient owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public static KafkaMockCluster Start(int brokers = 3)
    {
        KafkaNativeLibrary.EnsureLoaded();
        var config = new AdminClientConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var owner = new AdminClientBuilder(config).Build();
        try
        {
            // The mock brokers announce their loopback host:port in metadata, which is what other clients bootstrap from.
            var metadata = owner.GetMetadata(TimeSpan.FromSeconds(10));
            return new KafkaMockCluster(owner, string.Join(',', metadata.Brokers.Select(b => $"{b.Host}:{b.Port}")));
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    public void Dispose() => _owner.Dispose();
}
