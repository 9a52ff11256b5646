using System.Diagnostics.Metrics;
using Platform.Finetune.Jobs;

namespace Platform.Finetune.Hosting;

/// <summary>
/// Meter <c>Platform.Finetune</c>: tokens trained (a counter: its rate is fine-tuning tokens/s), the last step's
/// loss, the share of engine iteration time spent on fine-tuning, and jobs by status.
/// </summary>
public sealed class FinetuneMetrics : IDisposable
{
    private readonly Meter _meter = new("Platform.Finetune");
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _loss;
    private double _lastLoss;

    public FinetuneMetrics(JobStore jobs, IFineTuningModel model)
    {
        _tokens = _meter.CreateCounter<long>("platform.finetune.tokens_trained", "{token}", "Tokens trained by fine-tuning jobs (rate: fine-tuning tokens/s)");
        _loss = _meter.CreateHistogram<double>("platform.finetune.loss", null, "Training loss of each optimizer step");
        _meter.CreateObservableGauge("platform.finetune.last_loss", () => _lastLoss, null, "Training loss of the latest optimizer step");
        // Only where this process runs the engine; in Split mode each Decode instance exports its own fine_tuning_time_share.
        _meter.CreateObservableGauge("platform.finetune.iteration_time_share",
            () => model.IterationTimeShare is { } share ? [new Measurement<double>(share)] : Array.Empty<Measurement<double>>(), null,
            "Share of engine iteration time spent on fine-tuning since start");
        _meter.CreateObservableGauge("platform.finetune.jobs", () => Enum.GetValues<JobStatus>()
            .Select(s => new Measurement<int>(jobs.All.Count(j => j.Status == s), new KeyValuePair<string, object?>("status", s.ToString().ToLowerInvariant()))),
            "{job}", "Fine-tuning jobs by status");
    }

    public void Step(long tokens, double loss)
    {
        _tokens.Add(tokens);
        _loss.Record(loss);
        _lastLoss = loss;
    }

    public void Dispose() => _meter.Dispose();
}
