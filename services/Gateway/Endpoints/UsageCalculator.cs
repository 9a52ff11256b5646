using Platform.Gateway.Api;
using Platform.Gateway.Generation;

namespace Platform.Gateway.Endpoints;

/// <summary>OpenAI usage over a request's choices: each prompt counted once, every choice's completion tokens.</summary>
internal static class UsageCalculator
{
    public static UsageInfo From(IReadOnlyList<ChoiceState> choices)
    {
        int prompt = 0, cached = 0, completion = 0;
        foreach (var group in choices.GroupBy(c => c.Plan.PromptIndex))
        {
            var first = group.First();
            prompt += first.Usage?.PromptTokens ?? first.Plan.PromptTokenIds.Count;
            // The engine counts chunk tokens a blend reused (without recompute) with its prefix-cache hits.
            cached += first.Usage?.CachedPromptTokens ?? 0;
        }
        foreach (var choice in choices)
        {
            completion += choice.Usage?.CompletionTokens ?? choice.Tokens.Count;
        }
        return new UsageInfo(prompt, completion, new PromptTokensDetails(cached));
    }
}
