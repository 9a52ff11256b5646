using System.Text.Json.Serialization;

namespace Platform.Gateway.Api;

/// <summary>Source-generated JSON for every wire type of the OpenAI API: snake_case, nulls left out unless a type says otherwise.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(LoadLoraAdapterRequest))]
[JsonSerializable(typeof(UnloadLoraAdapterRequest))]
public sealed partial class GatewayJsonContext : JsonSerializerContext;
