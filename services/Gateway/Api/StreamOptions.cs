namespace Platform.Gateway.Api;

/// <summary><c>stream_options</c>: with <c>include_usage</c>, a last chunk carries usage and no choices.</summary>
public sealed record StreamOptions
{
    public bool IncludeUsage { get; init; }
}
