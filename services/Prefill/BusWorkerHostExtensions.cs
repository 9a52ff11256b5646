using Microsoft.Extensions.Options;
using Platform.RequestBus;

namespace Platform.Prefill;

/// <summary>Makes this Prefill process a request-bus worker when <c>Bus:Kind</c> names a shared bus (RedisStreams or Kafka).</summary>
public static class BusWorkerHostExtensions
{
    public static WebApplicationBuilder AddBusPrefillWorker(this WebApplicationBuilder builder)
    {
        var kind = builder.Configuration[$"{BusOptions.SectionName}:{nameof(BusOptions.Kind)}"];
        if (string.IsNullOrWhiteSpace(kind) || string.Equals(kind, nameof(BusKind.InProcess), StringComparison.OrdinalIgnoreCase))
        {
            // An in-process bus cannot reach a separate Prefill process: gRPC Prefill calls only.
            return builder;
        }
        builder.AddRequestBus();
        builder.Services.AddOptions<BusWorkerOptions>().BindConfiguration(BusWorkerOptions.SectionName)
            .Validate(o => o.MaxConcurrent is >= 1 and <= 1024, "Prefill:Bus:MaxConcurrent (Prefill__Bus__MaxConcurrent) must be in [1, 1024]")
            .ValidateOnStart();
        builder.Services.AddHostedService<BusPrefillWorker>();
        return builder;
    }
}
