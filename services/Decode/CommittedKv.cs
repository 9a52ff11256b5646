using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;

namespace Platform.Decode;

/// <summary>
/// A request whose KV committed: its decoding stream, and where its prompt's time went on the sender's side
/// (null from a sender that did not say), handed to the subscriber with the first token.
/// </summary>
public sealed record CommittedKv(RequestStream Stream, PrefillTiming? Timing);
