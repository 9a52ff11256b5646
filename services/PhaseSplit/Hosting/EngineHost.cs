using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.Engine.Metrics;
using Platform.Engine.Serving;

namespace Platform.PhaseSplit.Hosting;

/// <summary>
/// Loads the model when the host starts, runs the engine loop on its own thread while it lives, and stops
/// and frees it on shutdown. gRPC calls arrive only after start, so <see cref="Engine"/> is there for them.
/// Exports this instance's engine gauges and counters (<see cref="EngineMetricNames"/>) while the engine runs.
/// </summary>
public sealed partial class EngineHost(
    IOptions<EngineHostOptions> hostOptions,
    IOptions<EngineOptions> engineOptions,
    IMeterFactory meterFactory,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    ILogger<EngineHost> logger) : IHostedService, IDisposable
{
    private EngineStatsInstruments? _instruments;
    private readonly CancellationTokenSource _stop = new();
    private LlmEngine? _engine;
    private Task? _loop;
    private bool _disposed;

    public LlmEngine Engine => _engine ?? throw new InvalidOperationException("the engine is not loaded yet");

    public bool IsRunning => _engine is not null && _loop is { IsCompleted: false };

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = hostOptions.Value.ModelPath!;
        LogLoading(logger, path);
        _engine = LlmEngine.Load(path, engineOptions.Value, loggerFactory);
        _loop = _engine.RunAsync(_stop.Token);
        _instruments ??= new EngineStatsInstruments(meterFactory, () => IsRunning && _engine is { } engine ? engine.Stats() : null, time);
        LogLoaded(logger, _engine.Model.Config.Architecture, _engine.Stats().NumTotalBlocks, _engine.Options.BlockSize);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        LogStopped(logger);
    }

    /// <summary>Idempotent: the container disposes the host once as a singleton and once as a hosted service.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stop.Cancel();
        if (_loop is null or { IsCompleted: true })
        {
            _engine?.Dispose();
        }
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading the model from {Path}")]
    private static partial void LogLoading(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine running: {Architecture}, {Blocks} KV blocks of {BlockSize} tokens")]
    private static partial void LogLoaded(ILogger logger, string architecture, int blocks, int blockSize);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine stopped")]
    private static partial void LogStopped(ILogger logger);
}
