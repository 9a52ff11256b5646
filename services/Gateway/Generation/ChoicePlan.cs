using Platform.Engine.Sampling;

namespace Platform.Gateway.Generation;

/// <summary>One choice to generate: its index in the response, the prompt it continues, and how to sample.</summary>
internal sealed record ChoicePlan(int Index, int PromptIndex, IReadOnlyList<int> PromptTokenIds, SamplingParams Sampling)
{
    /// <summary>A RAG request's prompt (its chunk blend, tenant and metrics); null for a plain prompt.</summary>
    public Rag.RagPrompt? Rag { get; init; }

    /// <summary>The engine name of the LoRA adapter to generate under; null for the base model.</summary>
    public string? Adapter { get; init; }

    /// <summary>The adapter's PEFT directory, from which phase-split workers load it on first use.</summary>
    public string? AdapterPath { get; init; }
}
