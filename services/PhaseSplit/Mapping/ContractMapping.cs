using Grpc.Core;
using Platform.Engine.Serving;
using Platform.PhaseSplit.Kv;
using Wire = Platform.Contracts.Inference.V1;
using EngineSampling = Platform.Engine.Sampling;

namespace Platform.PhaseSplit.Mapping;

/// <summary>Between the wire types of <c>platform.inference.v1</c> and the engine's own.</summary>
public static class ContractMapping
{
    public const int SpecSchemaVersion = 1;

    /// <summary>The engine request a spec describes; a malformed spec is INVALID_ARGUMENT naming the field.</summary>
    public static GenerationRequest ToEngineRequest(this Wire.GenerationSpec spec)
    {
        if (spec.SchemaVersion is < 0 or > SpecSchemaVersion)
        {
            throw Faults.Invalid($"generation spec schema_version {spec.SchemaVersion} is newer than this service reads ({SpecSchemaVersion})");
        }
        if (string.IsNullOrEmpty(spec.RequestId))
        {
            throw Faults.Invalid("the generation spec has no request_id");
        }
        if (spec.Sampling is null)
        {
            throw Faults.Invalid("the generation spec has no sampling parameters");
        }
        return new GenerationRequest(spec.RequestId, [.. spec.PromptTokenIds], spec.Sampling.ToEngine())
        {
            CacheSalt = spec.CacheSalt,
            Adapter = spec.Lora is { Name.Length: > 0 } lora ? lora.Name : null,
            AdapterPath = spec.Lora is { Path.Length: > 0 } withPath ? withPath.Path : null,
        };
    }

    public static EngineSampling.SamplingParams ToEngine(this Wire.SamplingParams p) => new()
    {
        Temperature = p.Temperature,
        TopP = p.TopP,
        TopK = p.TopK,
        Seed = p.HasSeed ? p.Seed : null,
        MaxTokens = p.MaxTokens,
        StopTokenIds = [.. p.StopTokenIds],
        StopStrings = [.. p.StopStrings],
        IgnoreEos = p.IgnoreEos,
        Logprobs = p.Logprobs,
        TopLogprobs = p.TopLogprobs,
    };

    public static Wire.SamplingParams ToWire(this EngineSampling.SamplingParams p)
    {
        var wire = new Wire.SamplingParams
        {
            Temperature = p.Temperature,
            TopP = p.TopP,
            TopK = p.TopK,
            MaxTokens = p.MaxTokens,
            IgnoreEos = p.IgnoreEos,
            Logprobs = p.Logprobs,
            TopLogprobs = p.TopLogprobs,
        };
        if (p.Seed is { } seed)
        {
            wire.Seed = seed;
        }
        wire.StopTokenIds.AddRange(p.StopTokenIds);
        wire.StopStrings.AddRange(p.StopStrings);
        return wire;
    }

    public static EngineSampling.SampledToken ToEngine(this Wire.SampledToken t) =>
        new(t.TokenId, t.HasLogprob ? t.Logprob : null, [.. t.TopLogprobs.Select(l => new EngineSampling.TokenLogprob(l.TokenId, l.Logprob))]);

    public static Wire.SampledToken ToWire(this EngineSampling.SampledToken t)
    {
        var wire = new Wire.SampledToken { TokenId = t.TokenId };
        if (t.Logprob is { } logprob)
        {
            wire.Logprob = logprob;
        }
        wire.TopLogprobs.AddRange(t.TopLogprobs.Select(l => new Wire.TokenLogprob { TokenId = l.TokenId, Logprob = l.Logprob }));
        return wire;
    }

    public static Wire.TokenEvent ToWire(this GenerationEvent e)
    {
        var wire = new Wire.TokenEvent
        {
            RequestId = e.RequestId,
            Token = e.Token?.ToWire(),
            TextDelta = e.TextDelta,
            FinishReason = e.Finish is { } finish ? finish.ToWire() : Wire.FinishReason.Unspecified,
            Error = e.Error ?? "",
            StopReason = e.StopReason ?? "",
        };
        if (e.Usage is { } usage)
        {
            wire.Usage = new Wire.Usage
            {
                PromptTokens = usage.PromptTokens,
                CompletionTokens = usage.CompletionTokens,
                CachedPromptTokens = usage.CachedPromptTokens,
            };
        }
        return wire;
    }

    public static Wire.FinishReason ToWire(this FinishReason reason) => reason switch
    {
        FinishReason.Stop => Wire.FinishReason.Stop,
        FinishReason.Length => Wire.FinishReason.Length,
        FinishReason.Cancelled => Wire.FinishReason.Cancelled,
        FinishReason.Error => Wire.FinishReason.Error,
        _ => Wire.FinishReason.Unspecified,
    };
}
