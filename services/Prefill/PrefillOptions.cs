using Platform.PhaseSplit.Kv;

namespace Platform.Prefill;

/// <summary>The <c>Prefill</c> section (the model path, <c>Prefill:ModelPath</c>, is read with the engine's settings).</summary>
public sealed class PrefillOptions
{
    public const string SectionName = "Prefill";

    /// <summary>Longest a KV transfer may take, queueing and prompt computation included; the caller's own deadline applies too.</summary>
    public TimeSpan KvTransferTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest KV message; a layer larger than this goes as several chunks by token range. At most 4 MiB (Dapr's default).</summary>
    public int MaxKvMessageBytes { get; set; } = KvWire.MaxMessageBytes;
}
