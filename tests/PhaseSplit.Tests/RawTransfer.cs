using System.Text.Json;
using Grpc.Core;
using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Kv;
using TorchSharp;

namespace Platform.PhaseSplit.Tests;

/// <summary>A hand-driven TransferKv client: a misbehaving or stalled prefill, one message at a time.</summary>
public sealed class RawTransfer : IDisposable
{
    private readonly AsyncClientStreamingCall<KvTransferMessage, KvTransferAck> _call;
    private readonly Random _random = new(7);

    public RawTransfer(ServiceProcess decode, string model, GenerationSpec spec, DateTime? deadline = null)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json")));
        var root = config.RootElement;
        Geometry = new KvGeometry(root.GetProperty("num_hidden_layers").GetInt32(), root.GetProperty("num_key_value_heads").GetInt32(),
            root.GetProperty("head_dim").GetInt32(), torch.ScalarType.Float32);
        Spec = spec;
        _call = new DecodeService.DecodeServiceClient(decode.Channel).TransferKv(deadline: deadline ?? DateTime.UtcNow.AddSeconds(60));
    }

    public KvGeometry Geometry { get; }

    public GenerationSpec Spec { get; }

    public Task<KvTransferAck> Response => _call.ResponseAsync;

    public Task SendHeaderAsync(Action<KvTransferHeader>? edit = null)
    {
        var header = Geometry.Header(Spec);
        edit?.Invoke(header);
        return _call.RequestStream.WriteAsync(new KvTransferMessage { Header = header });
    }

    /// <summary>One whole layer of random KV, its checksum right unless <paramref name="corrupt"/>.</summary>
    public Task SendLayerAsync(int layer, bool corrupt = false)
    {
        int bytes = Spec.PromptTokenIds.Count * Geometry.BytesPerTokenPerLayer;
        var keys = new byte[bytes];
        var values = new byte[bytes];
        _random.NextBytes(keys);
        _random.NextBytes(values);
        uint crc = KvWire.Checksum(keys, values);
        return _call.RequestStream.WriteAsync(new KvTransferMessage
        {
            Chunk = new KvLayerChunk
            {
                Layer = layer,
                TokenStart = 0,
                TokenCount = Spec.PromptTokenIds.Count,
                Keys = ByteString.CopyFrom(keys),
                Values = ByteString.CopyFrom(values),
                Crc32 = corrupt ? crc ^ 1 : crc,
            },
        });
    }

    /// <summary>The call's outcome as a status (OK when it was acknowledged).</summary>
    public async Task<StatusCode> OutcomeAsync()
    {
        try
        {
            await _call.ResponseAsync;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    public void Dispose() => _call.Dispose();
}
