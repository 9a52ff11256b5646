using Microsoft.Extensions.Options;
using Platform.Gateway.Backend;
using Platform.Gateway.Configuration;
using Platform.RequestBus;
using Platform.RequestBus.InProcess;

namespace Platform.Gateway.Bus.Local;

/// <summary>
/// All-in-one with <c>Gateway:Dispatch Bus</c> (its default): requests go through this process's in-process bus
/// to its own engine. <c>Bus:Kind</c> names the bus of Split mode's prefill workers and is not used here: a
/// durable transport would let another replica take a request whose client waits on this one.
/// </summary>
public static class LocalBusHostExtensions
{
    public static IHostApplicationBuilder AddLocalBusDispatch(this IHostApplicationBuilder builder)
    {
        builder.AddBusDispatch(GatewayMode.Local);
        var services = builder.Services;
        services.AddSingleton<IRequestBus>(sp => new InProcessRequestBus(
            sp.GetRequiredService<IOptions<BusOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<LocalHandoff>();
        services.AddSingleton<LocalBusBackend>();
        services.AddSingleton<IGenerationBackend>(sp => sp.GetRequiredService<LocalBusBackend>());
        services.AddHostedService<LocalBusWorker>();
        return builder;
    }
}
