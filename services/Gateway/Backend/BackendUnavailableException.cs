namespace Platform.Gateway.Backend;

/// <summary>Nothing can serve the request now (model loading, engine stopped); the Gateway answers 503.</summary>
public sealed class BackendUnavailableException : Exception
{
    public BackendUnavailableException()
        : this("the model is not ready")
    {
    }

    public BackendUnavailableException(string message)
        : base(message)
    {
    }

    public BackendUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
