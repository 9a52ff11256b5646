namespace Platform.RequestBus;

/// <summary>The receive loop a bus worker shares: a request is taken only when the worker has room for it.</summary>
public static class BusConsumerSlots
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The next request once one of <paramref name="slots"/> is free; the caller then holds that slot. A receive that
    /// fails gives its slot back, is reported to <paramref name="failed"/> and is tried again after a second.
    /// </summary>
    public static async Task<BusDelivery> ReceiveInSlotAsync(
        this IBusConsumer consumer, SemaphoreSlim slots, Action<Exception> failed, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await consumer.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                slots.Release();
                failed(e);
            }
            await Task.Delay(RetryDelay, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
