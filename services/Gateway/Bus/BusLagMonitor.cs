using Microsoft.Extensions.Options;
using Platform.RequestBus;

namespace Platform.Gateway.Bus;

/// <summary>Reads the bus's lag every <see cref="BusDispatchOptions.LagPollInterval"/>, so admission checks it without a round trip.</summary>
public sealed partial class BusLagMonitor(IRequestBus bus, BusMetrics metrics, IOptions<BusDispatchOptions> options, TimeProvider time, ILogger<BusLagMonitor> logger)
    : BackgroundService
{
    private long _lag;

    /// <summary>The last lag read (0 before the first).</summary>
    public long Current => Interlocked.Read(ref _lag);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LagPollInterval, time);
        do
        {
            try
            {
                long lag = await bus.GetLagAsync(stoppingToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _lag, lag);
                metrics.RecordLag(lag);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogLagFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the request bus's lag failed; keeping the last value")]
    private static partial void LogLagFailed(ILogger logger, Exception exception);
}
