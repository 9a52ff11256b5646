using Microsoft.Extensions.Options;

namespace Platform.Gateway.Routing;

/// <summary>Checks <c>Gateway:Routing</c> at start, naming the key to fix.</summary>
internal sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var failures = new List<string>();
        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Gateway:Routing:{key} (Gateway__Routing__{key}) must be positive, e.g. 00:00:01, got {value}");
            }
        }
        Positive(nameof(options.LoadPollInterval), options.LoadPollInterval);
        Positive(nameof(options.LoadTimeout), options.LoadTimeout);
        Positive(nameof(options.PrefillTimeout), options.PrefillTimeout);
        if (options.ColocateBelowPromptTokens < 0)
        {
            failures.Add($"Gateway:Routing:ColocateBelowPromptTokens (Gateway__Routing__ColocateBelowPromptTokens) must be 0 or more, got {options.ColocateBelowPromptTokens}");
        }
        if (options.MinFreeDecodeBlocks < 0)
        {
            failures.Add($"Gateway:Routing:MinFreeDecodeBlocks (Gateway__Routing__MinFreeDecodeBlocks) must be 0 or more, got {options.MinFreeDecodeBlocks}");
        }
        if (options.MaxDecodeAttempts < 1)
        {
            failures.Add($"Gateway:Routing:MaxDecodeAttempts (Gateway__Routing__MaxDecodeAttempts) must be at least 1, got {options.MaxDecodeAttempts}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
