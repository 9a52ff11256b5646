namespace Platform.Gateway.Configuration;

/// <summary>The Gateway's own settings (section <c>Gateway</c>, environment variables <c>Gateway__*</c>).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Hugging Face model directory the all-in-one backend serves (<c>--model DIR</c>).</summary>
    public string? ModelPath { get; set; }

    /// <summary>The name clients pass as <c>model</c>; defaults to the model directory's name.</summary>
    public string? ServedModelName { get; set; }

    /// <summary>Accepted Bearer keys; none configured leaves the API open.</summary>
    public List<string> ApiKeys { get; set; } = [];

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
