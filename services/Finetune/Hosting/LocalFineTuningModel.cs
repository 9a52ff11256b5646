using Platform.Gateway.Backend;
using Platform.Gateway.Errors;
using Platform.Tokenizers;
using TorchSharp;

namespace Platform.Finetune.Hosting;

/// <summary>The all-in-one engine, which also trains: its tokenizer, context, LoRA limits and dtype.</summary>
public sealed class LocalFineTuningModel(LocalEngineBackend backend) : IFineTuningModel
{
    public (Tokenizer Tokenizer, int MaxTokens) Tokenization()
    {
        var engine = Engine;
        return (engine.Tokenizer!, engine.Model.Rope.MaxPositions);
    }

    public int MaxLoraRank => Engine.Adapters.MaxLoraRank;

    public void EnsureCanFineTune()
    {
        if (Engine.Model.DType != torch.ScalarType.Float32)
        {
            throw ApiException.BadRequest($"Fine-tuning needs the model served in float32 (Engine:DType); it is served in {Engine.Model.DType}.", "model");
        }
    }

    public double? IterationTimeShare => backend.Engine?.FineTuningTimeShare;

    public async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        while (backend.Engine is null)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private Platform.Engine.Serving.LlmEngine Engine => backend.Engine ?? throw new BackendUnavailableException(backend.NotReadyReason);
}
