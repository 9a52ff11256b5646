namespace Platform.Engine.Lora;

/// <summary>A resident adapter as listed by the registry.</summary>
public sealed record LoraAdapterInfo(string Name, string? Path, int Rank, double Scale, IReadOnlyList<LoraTarget> Targets, ulong CacheKey);
