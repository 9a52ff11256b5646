using System.Diagnostics.Metrics;
using Platform.Engine.Metrics;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Metrics;

/// <summary>
/// The serving engine's load as observable instruments (<see cref="EngineMetricNames"/>), read from
/// <see cref="IGenerationBackend.Stats"/> when scraped: the local engine's, or in Split mode the decode pool's.
/// </summary>
public sealed class EngineStatsMetrics(IMeterFactory meterFactory, IGenerationBackend backend, TimeProvider time)
{
    public EngineStatsInstruments Instruments { get; } = new(meterFactory, backend.Stats, time);
}
