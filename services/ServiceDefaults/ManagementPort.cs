using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults;

/// <summary>
/// An optional second listener, <c>Management:Port</c> (env <c>Management__Port</c>), speaking HTTP/1.1 and
/// HTTP/2 on every interface, for <c>/metrics</c>, <c>/health</c> and <c>/alive</c>. gRPC-only services
/// listen with HTTP/2 alone on cleartext (h2c), which Prometheus and kubelet probes cannot speak; they scrape
/// and probe this port instead. The service's own <c>urls</c> keep the protocols the service chose.
/// </summary>
public static class ManagementPort
{
    public const string PortKey = "Management:Port";

    public static WebApplicationBuilder AddManagementPort(this WebApplicationBuilder builder)
    {
        if (builder.Configuration[PortKey] is not { Length: > 0 } text)
        {
            return builder;
        }
        if (!int.TryParse(text, out int port) || port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"{PortKey} (Management__Port) must be a TCP port in 1..65535, got '{text}'");
        }
        var urls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(BindingAddress.Parse)
            .ToList();
        if (urls.Any(u => u.Port == port))
        {
            throw new InvalidOperationException($"{PortKey} {port} is also one of the service's urls; choose another port");
        }
        // Listening in code replaces the configured urls, so they are listened on here too. PostConfigure runs
        // after every ConfigureKestrel, so the endpoint defaults a service sets (HTTP/2 only) apply to them.
        builder.Services.PostConfigure<KestrelServerOptions>(kestrel =>
        {
            foreach (var url in urls)
            {
                Listen(kestrel, url);
            }
            kestrel.ListenAnyIP(port, o => o.Protocols = HttpProtocols.Http1AndHttp2);
        });
        return builder;
    }

    private static void Listen(KestrelServerOptions kestrel, BindingAddress url)
    {
        if (url.IsUnixPipe || !string.Equals(url.Scheme, "http", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"with {PortKey} set, urls must be plain http://host:port addresses (got '{url}'); configure TLS endpoints under Kestrel:Endpoints instead");
        }
        if (url.Host is "*" or "+" or "0.0.0.0" or "[::]")
        {
            kestrel.ListenAnyIP(url.Port);
        }
        else if (string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(url.Port);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port);
        }
    }
}
