namespace Platform.Gateway.Configuration;

/// <summary>The Gateway's own settings (section <c>Gateway</c>, environment variables <c>Gateway__*</c>).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Hugging Face model directory (<c>--model DIR</c>): the all-in-one backend loads it whole; in Split mode
    /// the Gateway reads only its config.json and tokenizer files (it tokenizes; the workers hold the weights).
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Local (the engine in this process, the default) or Split (Prefill and Decode services).</summary>
    public GatewayMode Mode { get; set; } = GatewayMode.Local;

    /// <summary>
    /// Split mode: longest prompt plus completion accepted, when the workers' KV caches hold less than the
    /// model's max_position_embeddings (the all-in-one engine knows its own).
    /// </summary>
    public int? MaxModelLength { get; set; }

    /// <summary>The name clients pass as <c>model</c>; defaults to the model directory's name.</summary>
    public string? ServedModelName { get; set; }

    /// <summary>Accepted Bearer keys; none configured leaves the API open.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Tenants by name, each with its own keys (<c>Gateway:Tenants:{name}:ApiKeys</c>). A tenant's LoRA adapters are
    /// invisible to other tenants' keys; keys in <see cref="ApiKeys"/> belong to no tenant and see shared adapters only.
    /// </summary>
    public Dictionary<string, TenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Operator keys: may load and unload adapters for any tenant (or shared ones). With no keys configured at all, everyone may.</summary>
    public List<string> AdminApiKeys { get; set; } = [];

    /// <summary>Generation requests in flight at once; more are answered 429.</summary>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>Largest accepted request body; larger ones are answered 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary><c>owned_by</c> in <c>/v1/models</c>.</summary>
    public string OwnedBy { get; set; } = "platform";

    /// <summary>The served model name: <see cref="ServedModelName"/>, else the model directory's name.</summary>
    public string ResolveServedModelName()
    {
        if (!string.IsNullOrWhiteSpace(ServedModelName))
        {
            return ServedModelName;
        }
        var dir = ModelPath?.TrimEnd('/', '\\');
        return string.IsNullOrEmpty(dir) ? "model" : Path.GetFileName(dir);
    }
}
