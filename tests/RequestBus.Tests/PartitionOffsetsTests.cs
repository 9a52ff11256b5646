using Confluent.Kafka;
using Platform.RequestBus.Kafka;

namespace Platform.RequestBus.Tests;

public sealed class PartitionOffsetsTests
{
    private static readonly TopicPartition P0 = new("requests", 0);
    private static readonly TopicPartition P1 = new("requests", 1);

    private static TopicPartitionOffset At(TopicPartition partition, long offset) => new(partition, offset);

    [Fact]
    public void The_stored_offset_never_passes_an_older_message_still_in_progress()
    {
        var offsets = new PartitionOffsets();
        offsets.Received(At(P0, 10));
        offsets.Received(At(P0, 11));
        offsets.Received(At(P0, 12));
        Assert.Null(offsets.Complete(At(P0, 12)));
        Assert.Null(offsets.Complete(At(P0, 11)));
        Assert.Equal(At(P0, 13), offsets.Complete(At(P0, 10)));
    }

    [Fact]
    public void In_order_completion_stores_each_next_offset_and_partitions_are_independent()
    {
        var offsets = new PartitionOffsets();
        offsets.Received(At(P0, 0));
        offsets.Received(At(P1, 5));
        offsets.Received(At(P0, 1));
        Assert.Equal(At(P0, 1), offsets.Complete(At(P0, 0)));
        Assert.Equal(At(P1, 6), offsets.Complete(At(P1, 5)));
        Assert.Equal(At(P0, 2), offsets.Complete(At(P0, 1)));
    }

    [Fact]
    public void After_a_revoke_nothing_is_stored_for_that_partition()
    {
        var offsets = new PartitionOffsets();
        offsets.Received(At(P0, 3));
        offsets.Revoke([P0]);
        Assert.Null(offsets.Complete(At(P0, 3)));
    }
}
