using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;

namespace Platform.Decode;

/// <summary>
/// A request whose KV committed: its decoding stream, and what its sender reported (where the prompt's time
/// went, the tokens it reused; null from a sender that did not say), handed to the subscriber with the first token.
/// </summary>
public sealed record CommittedKv(RequestStream Stream, PrefillReport? Report);
