namespace Platform.Gateway.Routing;

/// <summary>How a request runs (the <c>kind</c> tag of the routing decisions metric).</summary>
public enum RoutingKind
{
    /// <summary>Prompt on a prefill instance, tokens on a decode instance.</summary>
    Split,

    /// <summary>Both phases on one instance (Splitwise's mixed pool).</summary>
    Colocated,

    /// <summary>No healthy instance can take it: the Gateway answers 503.</summary>
    Unavailable,
}
