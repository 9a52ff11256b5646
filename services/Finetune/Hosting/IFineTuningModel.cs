using Platform.Tokenizers;

namespace Platform.Finetune.Hosting;

/// <summary>
/// What the fine-tuning API needs to know about the model it fine-tunes: the all-in-one engine's
/// (<see cref="LocalFineTuningModel"/>) or, in Split mode, the Gateway's view of the model the Decode instances serve
/// (<see cref="SplitFineTuningModel"/>).
/// </summary>
public interface IFineTuningModel
{
    /// <summary>The tokenizer training files are tokenized with, and the longest example; 503 while the model is not ready.</summary>
    (Tokenizer Tokenizer, int MaxTokens) Tokenization();

    /// <summary>The highest LoRA rank a job may ask for.</summary>
    int MaxLoraRank { get; }

    /// <summary>Refuses a job the model cannot train with a 400 naming the reason (the engine is not float32).</summary>
    void EnsureCanFineTune();

    /// <summary>Share of engine iteration time spent fine-tuning, where this process runs the engine; null otherwise.</summary>
    double? IterationTimeShare { get; }

    /// <summary>Completes once jobs can run.</summary>
    Task WaitReadyAsync(CancellationToken cancellationToken);
}
