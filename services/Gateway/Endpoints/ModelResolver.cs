using Platform.Gateway.Adapters;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Endpoints;

/// <summary>
/// Resolves a request's <c>model</c> as vLLM does: the base model's name, or the name of a LoRA adapter the
/// caller may use. Anything else, including another tenant's adapter, is a 404 as if it did not exist.
/// </summary>
public sealed class ModelResolver(ServedModel served, AdapterCatalog adapters)
{
    public ResolvedModel Resolve(string? requested, HttpContext context)
    {
        if (requested is not null && !string.Equals(requested, served.Name, StringComparison.Ordinal)
            && adapters.Find(requested, CallerIdentity.Of(context)) is { } adapter)
        {
            return new ResolvedModel(adapter.Name, adapter.EngineName, adapter.Path);
        }
        return new ResolvedModel(served.Check(requested), null, null);
    }
}

/// <summary>The model name to answer with, and the engine adapter to generate under and its directory (null: the base model).</summary>
public sealed record ResolvedModel(string Name, string? EngineAdapter, string? AdapterPath);
