namespace Platform.Engine.Blending;

/// <summary>
/// A validated <see cref="BlendSpec"/> laid over a prompt: which positions reuse which chunk, the distinct
/// chunk sources to load (a chunk repeated in one prompt is loaded once), and the tokens always computed.
/// </summary>
internal sealed class BlendPlan
{
    private BlendPlan(BlendSpec spec, int promptLength, IReadOnlyList<PromptSegment> cached, IReadOnlyList<IChunkKvSource> sources)
    {
        Spec = spec;
        PromptLength = promptLength;
        CachedSegments = cached;
        Sources = sources;
        IsCached = new bool[promptLength];
        foreach (var segment in cached)
        {
            Array.Fill(IsCached, true, segment.Start, segment.Length);
        }
        CachedPositions = [.. Enumerable.Range(0, promptLength).Where(p => IsCached[p])];
        FirstCachedPosition = cached.Count == 0 ? promptLength : cached[0].Start;
    }

    public BlendSpec Spec { get; }
    public int PromptLength { get; }
    public IReadOnlyList<PromptSegment> CachedSegments { get; }
    public IReadOnlyList<IChunkKvSource> Sources { get; }
    public bool[] IsCached { get; }
    /// <summary>Cached positions in prompt order (the order the loaded K/V rows are concatenated in).</summary>
    public int[] CachedPositions { get; }
    public int NumCached => CachedPositions.Length;
    /// <summary>Tokens before this are computed exactly as in a full prefill; their blocks may join the prefix cache.</summary>
    public int FirstCachedPosition { get; }

    /// <summary>The index of <paramref name="chunk"/> among <see cref="Sources"/> (the order loaded layers come in).</summary>
    public int SourceIndexOf(IChunkKvSource chunk)
    {
        for (int i = 0; i < Sources.Count; i++)
        {
            if (ReferenceEquals(Sources[i], chunk))
            {
                return i;
            }
        }
        throw new InvalidOperationException("a blended chunk is missing from the plan's sources");
    }

    /// <summary>Checks that the segments tile the prompt and match their chunks; the message names the problem.</summary>
    public static BlendPlan Create(BlendSpec spec, int promptLength)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (double.IsNaN(spec.RecomputeRatio) || spec.RecomputeRatio is < 0 or > 1)
        {
            throw new ArgumentException($"blend recompute ratio {spec.RecomputeRatio} is outside [0, 1]", "recompute_ratio");
        }
        if (spec.MinCachedTokens < 0 || spec.LoadTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("blend MinCachedTokens must be >= 0 and LoadTimeout positive", "blend");
        }
        int next = 0;
        var cached = new List<PromptSegment>();
        foreach (var segment in spec.Segments)
        {
            if (segment.Start != next || segment.Length <= 0)
            {
                throw new ArgumentException(
                    $"blend segment [{segment.Start}, {segment.Start + segment.Length}) does not continue at {next}; segments must tile the prompt in order", "blend");
            }
            if (segment.Cached is { } chunk)
            {
                if (chunk.TokenCount != segment.Length || chunk.FirstPosition < 0)
                {
                    throw new ArgumentException(
                        $"blend segment at {segment.Start} has {segment.Length} tokens but its cached chunk has {chunk.TokenCount} (first position {chunk.FirstPosition})", "blend");
                }
                cached.Add(segment);
            }
            next += segment.Length;
        }
        if (next != promptLength)
        {
            throw new ArgumentException($"blend segments cover {next} tokens; the prompt has {promptLength}", "blend");
        }
        var sources = cached.Select(s => s.Cached!).Distinct(ReferenceEqualityComparer.Instance).Cast<IChunkKvSource>().ToArray();
        return new BlendPlan(spec, promptLength, cached, sources);
    }
}
