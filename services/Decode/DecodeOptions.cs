namespace Platform.Decode;

/// <summary>The <c>Decode</c> section (the model path, <c>Decode:ModelPath</c>, is read with the engine's settings).</summary>
public sealed class DecodeOptions
{
    public const string SectionName = "Decode";

    /// <summary>Longest wait for the next message of a KV transfer; a transfer that stalls longer is aborted and its blocks freed.</summary>
    public TimeSpan KvTransferTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a <c>Generate</c> subscriber waits for its KV to commit, and how long committed KV waits for its
    /// subscriber, before the request is dropped and its blocks freed.
    /// </summary>
    public TimeSpan KvArrivalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a committed request id is remembered, so that a second KV transfer for it (a request bus
    /// redelivering after a worker died) is acknowledged and ignored rather than answered twice.
    /// </summary>
    public TimeSpan CommittedRequestMemory { get; set; } = TimeSpan.FromMinutes(10);
}
