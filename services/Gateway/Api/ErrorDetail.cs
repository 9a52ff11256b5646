using System.Text.Json.Serialization;

namespace Platform.Gateway.Api;

/// <summary>The error itself; <c>param</c> and <c>code</c> are written as null when absent, as OpenAI does.</summary>
public sealed record ErrorDetail(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);
