using System.Threading.Channels;
using Platform.Engine.Execution;
using static TorchSharp.torch;

namespace Platform.Prefill;

/// <summary>
/// Takes each layer's KV on the engine thread and queues it for the gRPC writer, so layer l is on the wire
/// while layer l+1 computes. <see cref="Close"/> frees whatever was not sent.
/// </summary>
internal sealed class LayerChannelSink(TimeProvider time) : IKvLayerSink
{
    private readonly Channel<ComputedLayer> _layers = Channel.CreateUnbounded<ComputedLayer>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public ChannelReader<ComputedLayer> Layers => _layers.Reader;

    public void OnLayer(int layer, Tensor keys, Tensor values)
    {
        var computed = new ComputedLayer(layer, keys, values, time.GetTimestamp());
        if (!_layers.Writer.TryWrite(computed))
        {
            computed.Dispose();
        }
    }

    public void Close()
    {
        _layers.Writer.TryComplete();
        while (_layers.Reader.TryRead(out var layer))
        {
            layer.Dispose();
        }
    }
}
