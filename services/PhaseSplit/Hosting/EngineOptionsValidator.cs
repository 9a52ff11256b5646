using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;

namespace Platform.PhaseSplit.Hosting;

/// <summary>Checks the <c>Engine</c> section at start, naming the key to fix.</summary>
public sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = new List<string>();
        void Positive(string key, long value)
        {
            if (value < 1)
            {
                failures.Add($"Engine:{key} (Engine__{key}) must be positive, got {value}");
            }
        }
        Positive(nameof(options.KvCacheBytes), options.KvCacheBytes);
        Positive(nameof(options.BlockSize), options.BlockSize);
        Positive(nameof(options.MaxBatchedTokens), options.MaxBatchedTokens);
        Positive(nameof(options.MaxRunningSequences), options.MaxRunningSequences);
        if (options.MaxModelLength is { } max)
        {
            Positive(nameof(options.MaxModelLength), max);
        }
        if (options.CpuThreads is { } threads)
        {
            Positive(nameof(options.CpuThreads), threads);
        }
        if (options.DType is not ("float32" or "float16" or "bfloat16"))
        {
            failures.Add($"Engine:DType (Engine__DType) must be float32, float16 or bfloat16, got '{options.DType}'");
        }
        if (string.IsNullOrWhiteSpace(options.Device))
        {
            failures.Add("Engine:Device (Engine__Device) must name a torch device such as cpu or cuda:0");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
