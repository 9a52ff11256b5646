namespace Platform.Gateway.Api;

/// <summary>One retrieved chunk: exactly one of <c>id</c> (a chunk id returned by ingest) or <c>text</c>.</summary>
public sealed record RagChunkInput
{
    public string? Id { get; init; }
    public string? Text { get; init; }
}
