namespace Platform.Prefill;

/// <summary>The <c>Prefill:Bus</c> section: how this worker consumes the request bus (when <c>Bus:Kind</c> is set).</summary>
public sealed class BusWorkerOptions
{
    public const string SectionName = "Prefill:Bus";

    /// <summary>Requests taken from the bus and prefilled at once (the engine batches them); more wait on the bus.</summary>
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>This worker's name in the consumer group; default host name and process id.</summary>
    public string? ConsumerName { get; set; }
}
