namespace Platform.Gateway.Configuration;

/// <summary>Where the Gateway's generation requests run (<c>Gateway:Mode</c>).</summary>
public enum GatewayMode
{
    /// <summary>All-in-one: the engine runs in the Gateway's process.</summary>
    Local,

    /// <summary>Phase split: prompts on Prefill instances, tokens on Decode instances, over gRPC.</summary>
    Split,
}
