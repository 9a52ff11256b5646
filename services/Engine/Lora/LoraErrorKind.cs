namespace Platform.Engine.Lora;

/// <summary>Why an adapter operation failed, so a service can answer with the right status.</summary>
public enum LoraErrorKind
{
    /// <summary>Bad files or a config the model cannot take (400).</summary>
    Invalid,
    /// <summary>No adapter of that name is loaded (404).</summary>
    NotFound,
    /// <summary>An adapter of that name is already loaded (400, as vLLM answers).</summary>
    AlreadyLoaded,
    /// <summary>A limit (resident adapters, rank) refuses it (400 for rank, 429-like for capacity).</summary>
    LimitExceeded,
}
