namespace Platform.ChunkStore.Redis;

/// <summary>An error reply from Redis (<c>-ERR ...</c>, <c>-WRONGTYPE ...</c>, <c>-MOVED ...</c>) to a command of the range reader.</summary>
public sealed class RespErrorException(string message) : Exception(message)
{
    /// <summary>A cluster redirect: the key lives on another server, which only the multiplexer can route to.</summary>
    public bool IsRedirect => Message.StartsWith("MOVED ", StringComparison.Ordinal) || Message.StartsWith("ASK ", StringComparison.Ordinal);
}
