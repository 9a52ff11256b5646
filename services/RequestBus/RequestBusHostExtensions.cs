using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.RequestBus.InProcess;
using Platform.RequestBus.Kafka;
using Platform.RequestBus.Redis;
using StackExchange.Redis;

namespace Platform.RequestBus;

/// <summary>Registers the process's one <see cref="IRequestBus"/>, of the kind <c>Bus:Kind</c> names.</summary>
public static class RequestBusHostExtensions
{
    public static IHostApplicationBuilder AddRequestBus(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<BusOptions>().BindConfiguration(BusOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BusOptions>>(new BusOptionsValidator());
        // Redis: the process's one multiplexer, shared with anything else that uses ConnectionStrings:redis.
        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(
            Required(sp.GetRequiredService<IConfiguration>(), "redis", "Bus:Kind RedisStreams")));
        services.AddSingleton<IRequestBus>(sp => Create(sp));
        services.TryAddSingleton<BusMetrics>();
        return builder;
    }

    private static IRequestBus Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<BusOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        return options.Kind switch
        {
            BusKind.RedisStreams => new RedisStreamsRequestBus(services.GetRequiredService<IConnectionMultiplexer>(), options, time),
            BusKind.Kafka => new KafkaRequestBus(Required(services.GetRequiredService<IConfiguration>(), "kafka", "Bus:Kind Kafka"), options, time),
            _ => new InProcessRequestBus(options, time),
        };
    }

    private static string Required(IConfiguration configuration, string name, string why) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value ? value
        : throw new InvalidOperationException($"{why} needs ConnectionStrings:{name} (environment ConnectionStrings__{name})");

    private sealed class BusOptionsValidator : IValidateOptions<BusOptions>
    {
        public ValidateOptionsResult Validate(string? name, BusOptions options)
        {
            var problems = options.Validate().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
