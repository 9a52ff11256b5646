namespace Platform.RequestBus;

/// <summary>The bus's transport refused or could not take a message (broker or server down, timeout).</summary>
public sealed class BusUnavailableException : Exception
{
    public BusUnavailableException()
        : this("the request bus is unavailable")
    {
    }

    public BusUnavailableException(string message)
        : base(message)
    {
    }

    public BusUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
