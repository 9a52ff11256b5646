namespace Platform.Gateway.Routing;

/// <summary>Why the router decided as it did (the <c>reason</c> tag of the routing decisions metric).</summary>
public enum RoutingReason
{
    /// <summary>The default: a long enough prompt and a decode instance with headroom.</summary>
    Disaggregated,

    /// <summary>Shorter than <c>Gateway:Routing:ColocateBelowPromptTokens</c>: a transfer would cost more than it saves.</summary>
    ShortPrompt,

    /// <summary>No decode instance keeps <c>Gateway:Routing:MinFreeDecodeBlocks</c> after this prompt's KV.</summary>
    DecodePoolFull,

    NoPrefillInstance,

    NoDecodeInstance,
}
