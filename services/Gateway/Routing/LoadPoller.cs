using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Invocation;

namespace Platform.Gateway.Routing;

/// <summary>
/// Asks every instance for its load (GetLoad) every <see cref="RoutingOptions.LoadPollInterval"/>, all at once;
/// an answer makes the instance healthy with that load, a failure or timeout skips it until it answers again.
/// </summary>
public sealed partial class LoadPoller(
    InstanceRegistry registry,
    IGrpcChannelFactory channels,
    IOptionsMonitor<RoutingOptions> options,
    TimeProvider time,
    ILogger<LoadPoller> logger) : BackgroundService
{
    /// <summary>One round over every instance; returns when each has answered or failed.</summary>
    public Task PollOnceAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(registry.All.Select(i => PollAsync(i, cancellationToken)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CurrentValue.LoadPollInterval, time);
        try
        {
            do
            {
                await PollOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task PollAsync(InstanceState instance, CancellationToken cancellationToken)
    {
        bool wasHealthy = instance.IsHealthy;
        try
        {
            var invoker = channels.CreateInvoker(instance.Target);
            var deadline = time.GetUtcNow().UtcDateTime + options.CurrentValue.LoadTimeout;
            var report = instance.Role == InstanceRole.Prefill
                ? await new PrefillService.PrefillServiceClient(invoker).GetLoadAsync(new GetLoadRequest(), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await new DecodeService.DecodeServiceClient(invoker).GetLoadAsync(new GetLoadRequest(), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            instance.Report(report, time.GetTimestamp());
            if (!wasHealthy)
            {
                LogHealthy(logger, instance.Role, instance.Name, report.FreeKvBlocks, report.TotalKvBlocks);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RpcException or InvalidOperationException or IOException)
        {
            var reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
            instance.MarkUnhealthy($"GetLoad failed: {reason}");
            if (wasHealthy)
            {
                LogUnhealthy(logger, instance.Role, instance.Name, reason);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Role} instance {Name} is serving: {FreeBlocks} of {TotalBlocks} KV blocks free")]
    private static partial void LogHealthy(ILogger logger, InstanceRole role, string name, int freeBlocks, int totalBlocks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Role} instance {Name} is skipped until it answers again: {Reason}")]
    private static partial void LogUnhealthy(ILogger logger, InstanceRole role, string name, string reason);
}
