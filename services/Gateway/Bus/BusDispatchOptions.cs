namespace Platform.Gateway.Bus;

/// <summary>The <c>Gateway:Bus</c> section: deadlines and back-pressure of requests sent through the bus.</summary>
public sealed class BusDispatchOptions
{
    public const string SectionName = "Gateway:Bus";

    /// <summary>How long a request may wait for its first token; past it, it is not computed and its client gets 504.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Requests on the bus not yet acknowledged beyond which new ones are answered 429 with Retry-After.</summary>
    public long MaxLag { get; set; } = 1000;

    /// <summary>How often the bus's lag is read.</summary>
    public TimeSpan LagPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Request header naming the conversation: its requests share a partition key and keep their order.</summary>
    public string ConversationHeader { get; set; } = "X-Conversation-Id";

    public IEnumerable<string> Validate()
    {
        if (Deadline <= TimeSpan.Zero)
        {
            yield return "Gateway:Bus:Deadline (Gateway__Bus__Deadline) must be positive, e.g. 00:01:00";
        }
        if (MaxLag < 0)
        {
            yield return $"Gateway:Bus:MaxLag (Gateway__Bus__MaxLag) must not be negative, got {MaxLag}";
        }
        if (LagPollInterval <= TimeSpan.Zero)
        {
            yield return "Gateway:Bus:LagPollInterval (Gateway__Bus__LagPollInterval) must be positive, e.g. 00:00:00.250";
        }
    }
}
