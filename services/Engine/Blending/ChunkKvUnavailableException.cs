namespace Platform.Engine.Blending;

/// <summary>A chunk's stored KV could not be used (store unreachable, timed out, truncated or corrupted).</summary>
public sealed class ChunkKvUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
