using Platform.Engine.Sampling;
using static TorchSharp.torch;

namespace Platform.Engine.Serving;

/// <summary>
/// A request whose prompt KV is arriving from a prefill instance: blocks are reserved, layers are written
/// as they come (while the engine keeps stepping other requests), and <see cref="Commit"/> starts decoding
/// from the first token the prefill side sampled. <see cref="Abort"/> (or Dispose before Commit) frees
/// everything; a transfer that stalls must be aborted by its owner's deadline.
/// </summary>
public sealed class KvImport : IDisposable
{
    private readonly LlmEngine _engine;
    private readonly bool[] _layersWritten;
    private bool _closed;

    internal KvImport(LlmEngine engine, ActiveRequest active, int numLayers)
    {
        _engine = engine;
        Active = active;
        _layersWritten = new bool[numLayers];
    }

    internal ActiveRequest Active { get; }

    public string RequestId => Active.Request.RequestId;

    public int NumTokens => Active.Sequence.PromptLength;

    public bool IsComplete => _layersWritten.All(w => w);

    /// <summary>Writes one layer's K and V ([prompt tokens, kv_heads, head_dim], any device and dtype).</summary>
    public void WriteLayer(int layer, Tensor keys, Tensor values)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, _layersWritten.Length);
        if (keys.shape[0] != NumTokens)
        {
            throw new ArgumentException($"layer {layer} carries KV for {keys.shape[0]} tokens; the prompt has {NumTokens}");
        }
        _engine.WriteImportedLayer(this, layer, keys, values);
        _layersWritten[layer] = true;
    }

    /// <summary>All layers are in: decoding starts with <paramref name="firstToken"/>, which the stream emits first.</summary>
    public RequestStream Commit(SampledToken firstToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (!IsComplete)
        {
            throw new InvalidOperationException(
                $"KV import of {RequestId} is missing layers {string.Join(", ", Enumerable.Range(0, _layersWritten.Length).Where(l => !_layersWritten[l]))}");
        }
        _closed = true;
        return _engine.CommitImport(this, firstToken);
    }

    /// <summary>Gives the reserved blocks back; the request's stream ends with an error.</summary>
    public void Abort(string reason)
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _engine.AbortImport(this, reason);
    }

    public void Dispose() => Abort("KV import abandoned");
}
