namespace Platform.Gateway.Api;

/// <summary>The new part of the assistant message: the role on the first chunk, then content.</summary>
public sealed record ChatDelta
{
    public string? Role { get; init; }
    public string? Content { get; init; }
}
