using Microsoft.Extensions.Options;
using Platform.Gateway.Configuration;
using Platform.RequestBus;

namespace Platform.Gateway.Bus;

/// <summary>
/// Sends requests through the request bus when <c>Gateway:Dispatch</c> is <c>Bus</c> (Split mode: to Prefill workers;
/// all-in-one: through the in-process bus to this process's engine); straight to the backend otherwise.
/// </summary>
public static class BusDispatchHostExtensions
{
    private const string Key = $"{GatewayOptions.SectionName}:Dispatch";

    /// <summary>
    /// The configured <c>Gateway:Dispatch</c>; unset: <see cref="DispatchMode.Bus"/> for the all-in-one Gateway (its
    /// in-process bus) and <see cref="DispatchMode.Direct"/> in Split mode. A clear error for anything else.
    /// </summary>
    public static DispatchMode DispatchModeOf(IConfiguration configuration, GatewayMode gatewayMode)
    {
        var mode = configuration[Key];
        if (string.IsNullOrWhiteSpace(mode))
        {
            return gatewayMode == GatewayMode.Local ? DispatchMode.Bus : DispatchMode.Direct;
        }
        if (string.Equals(mode, nameof(DispatchMode.Direct), StringComparison.OrdinalIgnoreCase))
        {
            return DispatchMode.Direct;
        }
        return string.Equals(mode, nameof(DispatchMode.Bus), StringComparison.OrdinalIgnoreCase)
            ? DispatchMode.Bus
            : throw new InvalidOperationException($"{Key} (Gateway__Dispatch) must be Direct or Bus, got '{mode}'");
    }

    /// <summary>The bus, the dispatcher and its lag monitor, when <paramref name="mode"/> dispatches through the bus.</summary>
    public static IHostApplicationBuilder AddBusDispatch(this IHostApplicationBuilder builder, GatewayMode mode)
    {
        if (DispatchModeOf(builder.Configuration, mode) == DispatchMode.Direct)
        {
            return builder;
        }
        builder.AddRequestBus();
        var services = builder.Services;
        services.AddOptions<BusDispatchOptions>().BindConfiguration(BusDispatchOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BusDispatchOptions>>(new Validator());
        services.AddHttpContextAccessor();
        services.AddSingleton<BusLagMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<BusLagMonitor>());
        services.AddSingleton<BusDispatcher>();
        return builder;
    }

    private sealed class Validator : IValidateOptions<BusDispatchOptions>
    {
        public ValidateOptionsResult Validate(string? name, BusDispatchOptions options)
        {
            var problems = options.Validate().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
