using Microsoft.Extensions.Options;
using Platform.Gateway.Configuration;
using Platform.RequestBus;

namespace Platform.Gateway.Bus;

/// <summary>Sends Split-mode requests through the request bus when <c>Gateway:Dispatch</c> is <c>Bus</c>; direct Prefill calls otherwise.</summary>
public static class BusDispatchHostExtensions
{
    public static IHostApplicationBuilder AddBusDispatch(this IHostApplicationBuilder builder)
    {
        const string key = $"{GatewayOptions.SectionName}:Dispatch";
        var mode = builder.Configuration[key];
        if (string.IsNullOrWhiteSpace(mode) || string.Equals(mode, nameof(DispatchMode.Direct), StringComparison.OrdinalIgnoreCase))
        {
            return builder;
        }
        if (!string.Equals(mode, nameof(DispatchMode.Bus), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{key} (Gateway__Dispatch) must be Direct or Bus, got '{mode}'");
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
