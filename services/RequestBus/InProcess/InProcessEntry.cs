namespace Platform.RequestBus.InProcess;

/// <summary>One message on the in-process queue and how many times it has been handed out.</summary>
internal sealed class InProcessEntry(byte[] payload)
{
    private int _deliveries;
    private int _settled;

    public byte[] Payload => payload;

    public int Deliver() => Interlocked.Increment(ref _deliveries);

    /// <summary>True for the first settle (ack, requeue, dead letter, or the consumer handing it back) of this delivery.</summary>
    public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;

    public void Unsettle() => Volatile.Write(ref _settled, 0);
}
