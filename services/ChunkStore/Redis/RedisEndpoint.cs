using System.Net;
using StackExchange.Redis;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// Where and how <see cref="RedisRangeReader"/> connects: the one server of the <c>redis</c> connection string,
/// with its credentials, database, TLS and connect timeout, as the multiplexer reads them.
/// </summary>
internal sealed record RedisEndpoint(
    string Host, int Port, string? User, string? Password, int Database, bool Ssl, string? SslHost, TimeSpan ConnectTimeout, string? ClientName)
{
    /// <summary>
    /// The endpoint of a configuration that names exactly one server and no Sentinel service; null otherwise
    /// (several servers need the multiplexer's routing and failover).
    /// </summary>
    public static RedisEndpoint? From(ConfigurationOptions config)
    {
        if (config.EndPoints.Count != 1 || !string.IsNullOrEmpty(config.ServiceName))
        {
            return null;
        }
        var (host, port) = config.EndPoints[0] switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => (null, 0),
        };
        if (host is null)
        {
            return null;
        }
        return new RedisEndpoint(
            host, port == 0 ? (config.Ssl ? 6380 : 6379) : port, config.User, config.Password, config.DefaultDatabase ?? 0,
            config.Ssl, config.SslHost, TimeSpan.FromMilliseconds(config.ConnectTimeout), config.ClientName);
    }
}
