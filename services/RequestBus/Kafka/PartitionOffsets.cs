using Confluent.Kafka;

namespace Platform.RequestBus.Kafka;

/// <summary>
/// At-least-once offsets with work finishing out of order: a partition's stored offset moves only up to its
/// oldest message still being worked on, so a crash redelivers everything not finished and nothing is skipped.
/// </summary>
internal sealed class PartitionOffsets
{
    private readonly Dictionary<TopicPartition, State> _states = [];
    private readonly Lock _lock = new();

    public void Received(TopicPartitionOffset message)
    {
        lock (_lock)
        {
            if (!_states.TryGetValue(message.TopicPartition, out var state))
            {
                // Everything before the first message this member received is someone else's business.
                _states[message.TopicPartition] = state = new State { Stored = message.Offset.Value };
            }
            state.InFlight.Add(message.Offset.Value);
            state.Next = Math.Max(state.Next, message.Offset.Value + 1);
        }
    }

    /// <summary>The offset to store once <paramref name="message"/> is done, or null when it does not move (or the partition was revoked).</summary>
    public TopicPartitionOffset? Complete(TopicPartitionOffset message)
    {
        lock (_lock)
        {
            if (!_states.TryGetValue(message.TopicPartition, out var state) || !state.InFlight.Remove(message.Offset.Value))
            {
                return null;
            }
            long commit = state.InFlight.Count > 0 ? state.InFlight.Min : state.Next;
            if (commit <= state.Stored)
            {
                return null;
            }
            state.Stored = commit;
            return new TopicPartitionOffset(message.TopicPartition, commit);
        }
    }

    /// <summary>Another member owns these partitions now: what was in flight here will be delivered to it.</summary>
    public void Revoke(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _states.Remove(partition);
            }
        }
    }

    private sealed class State
    {
        public SortedSet<long> InFlight { get; } = [];
        public long Next { get; set; } = -1;
        public long Stored { get; set; } = -1;
    }
}
