using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.Engine.Serving;
using Platform.Gateway.Configuration;

namespace Platform.Gateway.Backend;

/// <summary>
/// The all-in-one backend: loads the model into an <see cref="LlmEngine"/> in this process and runs its
/// loop until shutdown. Requests before the load completes are refused as unavailable (503).
/// </summary>
public sealed partial class LocalEngineBackend : BackgroundService, IGenerationBackend
{
    private readonly GatewayOptions _options;
    private readonly EngineOptions _engineOptions;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ConcurrentDictionary<string, byte> _active = new(StringComparer.Ordinal);
    private volatile LlmEngine? _engine;
    private volatile ModelInfo? _model;
    private volatile string _notReadyReason = "the model is loading";

    public LocalEngineBackend(
        IOptions<GatewayOptions> options,
        IOptions<EngineOptions> engineOptions,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        IHostApplicationLifetime lifetime)
    {
        _options = options.Value;
        _engineOptions = engineOptions.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LocalEngineBackend>();
        _time = time;
        _lifetime = lifetime;
    }

    /// <summary>The engine, once loaded (tests and diagnostics read its stats).</summary>
    public LlmEngine? Engine => _engine;

    public ModelInfo? Model => _model;

    public string NotReadyReason => _notReadyReason;

    public EngineStats? Stats() => _engine?.Stats();

    public ValueTask<IGenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new BackendUnavailableException(_notReadyReason);
        var stream = engine.AddRequest(request);
        _active[request.RequestId] = 0;
        return ValueTask.FromResult<IGenerationStream>(new LocalEngineStream(engine, stream, id => _active.TryRemove(id, out _)));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = _options.ModelPath!;
        LlmEngine engine;
        try
        {
            LogLoading(_logger, path, _engineOptions.Device, _engineOptions.DType);
            engine = await Task.Run(() => LlmEngine.Load(path, _engineOptions, _loggerFactory), stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            // A gateway that can never serve should not look alive: stop, so the orchestrator shows the reason.
            _notReadyReason = $"the model failed to load: {e.Message}";
            LogLoadFailed(_logger, e, path);
            _lifetime.StopApplication();
            return;
        }
        if (engine.Tokenizer is null)
        {
            _notReadyReason = $"the model directory {path} has no tokenizer.json";
            LogLoadFailed(_logger, new InvalidOperationException(_notReadyReason), path);
            engine.Dispose();
            _lifetime.StopApplication();
            return;
        }
        _engine = engine;
        _model = new ModelInfo(engine.Tokenizer, engine.MaxModelLength, engine.Model.Config.VocabSize, _time.GetUtcNow());
        LogReady(_logger, _options.ResolveServedModelName(), engine.MaxModelLength);
        try
        {
            await engine.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            _model = null;
            _notReadyReason = "the server is shutting down";
            // The HTTP server has drained by now; whatever is left will never be read.
            foreach (var id in _active.Keys)
            {
                engine.Cancel(id);
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        var engine = _engine;
        _engine = null;
        engine?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {Path} on {Device}/{DType}")]
    private static partial void LogLoading(ILogger logger, string path, string device, string dType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving {ServedModelName}, max model length {MaxModelLength}")]
    private static partial void LogReady(ILogger logger, string servedModelName, int maxModelLength);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Loading the model from {Path} failed; stopping")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string path);
}
