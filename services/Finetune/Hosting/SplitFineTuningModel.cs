using Platform.Gateway.Backend;
using Platform.Tokenizers;

namespace Platform.Finetune.Hosting;

/// <summary>
/// Split mode: the Gateway reads the model's tokenizer and config only; the Decode instances that train check the
/// rest (float32, their own <c>Engine:MaxLoraRank</c>) when a job starts, and a refusal fails the job with their reason.
/// </summary>
public sealed class SplitFineTuningModel(IGenerationBackend backend, IConfiguration configuration) : IFineTuningModel
{
    public (Tokenizer Tokenizer, int MaxTokens) Tokenization()
    {
        var model = backend.Model ?? throw new BackendUnavailableException(backend.NotReadyReason);
        return (model.Tokenizer, model.MaxModelLength);
    }

    /// <summary>The Decode instances' <c>Engine:MaxLoraRank</c>, when the same setting is given to this process too (16 by default, as theirs).</summary>
    public int MaxLoraRank => configuration.GetValue("Engine:MaxLoraRank", new Platform.Engine.Configuration.EngineOptions().MaxLoraRank);

    public void EnsureCanFineTune()
    {
    }

    public double? IterationTimeShare => null;

    public async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        while (backend.Model is null)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}
