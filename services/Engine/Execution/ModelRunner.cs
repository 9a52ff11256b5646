using Platform.Engine.KvCache;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Execution;

/// <summary>
/// Turns one step's chunks into tensors (token ids, positions, slot mapping, attention metadata), runs
/// the model and returns the logits of the positions to sample. The batch is reordered so that one-token
/// chunks (decode) form one padded attention batch; the logits come back in the callers' chunk order.
/// </summary>
public sealed partial class ModelRunner
{
    public ModelRunner(LlamaModel model, PagedKvCache cache)
    {
        Model = model;
        Cache = cache;
    }

    public LlamaModel Model { get; }

    public PagedKvCache Cache { get; }

    /// <summary>
    /// Runs the chunks; returns float32 logits [sampled chunks, vocab] in the order of the chunks that have
    /// <see cref="RunnerChunk.Sample"/>, or null when none samples. The tensor belongs to the caller's scope.
    /// </summary>
    public Tensor? Execute(IReadOnlyList<RunnerChunk> chunks)
    {
        if (chunks.Count == 0)
        {
            return null;
        }
        var order = Enumerable.Range(0, chunks.Count)
            .OrderBy(i => chunks[i].Count == 1 ? 0 : 1)
            .ThenBy(i => i)
            .ToArray();
        int totalTokens = chunks.Sum(c => c.Count);
        var inputIds = new long[totalTokens];
        var positions = new long[totalTokens];
        var slotMapping = new long[totalTokens];
        var sampleRowOfChunk = new int[chunks.Count];
        int row = 0;
        foreach (int i in order)
        {
            var c = chunks[i];
            Validate(c);
            var slots = Cache.SlotsOf(c.BlockTable, c.Start, c.Count);
            for (int j = 0; j < c.Count; j++)
            {
                inputIds[row + j] = c.TokenIds[c.Start + j];
                positions[row + j] = c.Start + j;
                slotMapping[row + j] = slots[j];
            }
            sampleRowOfChunk[i] = row + c.Count - 1;
            row += c.Count;
        }

        using var scope = NewDisposeScope();
        var device = Model.Device;
        var meta = BuildMetadata(chunks, order, slotMapping, device);
        var sinks = chunks.Where(c => c.LayerSink is not null).ToArray();
        Action<int>? afterLayer = sinks.Length == 0 ? null : layer =>
        {
            foreach (var c in sinks)
            {
                var (k, v) = Cache.CopyLayerToHost(layer, c.BlockTable, c.Start + c.Count);
                c.LayerSink!.OnLayer(layer, k, v);
            }
        };
        var lora = BuildLoraBatch(chunks, order, totalTokens);
        var hidden = Model.Forward(tensor(inputIds, device: device), tensor(positions, device: device), meta, Cache, afterLayer, lora);
        var sampleRows = Enumerable.Range(0, chunks.Count).Where(i => chunks[i].Sample).Select(i => (long)sampleRowOfChunk[i]).ToArray();
        if (sampleRows.Length == 0)
        {
            return null;
        }
        var logits = Model.Logits(hidden.index_select(0, tensor(sampleRows, device: device)));
        return logits.MoveToOuterDisposeScope();
    }

    private void Validate(RunnerChunk c)
    {
        if (c.Count <= 0 || c.Start < 0 || c.Start + c.Count > c.TokenIds.Count)
        {
            throw new ArgumentException($"chunk [{c.Start}, {c.Start + c.Count}) is outside the sequence's {c.TokenIds.Count} tokens");
        }
        if (c.Start + c.Count > c.BlockTable.Count * Cache.BlockSize)
        {
            throw new ArgumentException($"chunk ends at {c.Start + c.Count} but the block table holds {c.BlockTable.Count * Cache.BlockSize} positions");
        }
    }

    private AttentionMetadata BuildMetadata(IReadOnlyList<RunnerChunk> chunks, int[] order, long[] slotMapping, Device device)
    {
        int? window = Model.Config.SlidingWindow;
        var decode = order.Where(i => chunks[i].Count == 1).ToArray();
        Tensor? decodeSlots = null, decodeMask = null;
        if (decode.Length > 0)
        {
            int maxCtx = decode.Max(i => chunks[i].Start + 1);
            var slots = new long[decode.Length * maxCtx];
            var mask = new bool[decode.Length * maxCtx];
            for (int b = 0; b < decode.Length; b++)
            {
                var c = chunks[decode[b]];
                int ctx = c.Start + 1;
                var seqSlots = Cache.SlotsOf(c.BlockTable, 0, ctx);
                for (int j = 0; j < ctx; j++)
                {
                    slots[b * maxCtx + j] = seqSlots[j];
                    mask[b * maxCtx + j] = window is null || j > c.Start - window;
                }
            }
            decodeSlots = tensor(slots, device: device).view(decode.Length, maxCtx);
            decodeMask = tensor(mask, device: device).view(decode.Length, 1, 1, maxCtx);
        }

        var chunkMeta = new List<ChunkAttention>();
        int row = decode.Length;
        foreach (int i in order.Skip(decode.Length))
        {
            var c = chunks[i];
            int ctx = c.Start + c.Count;
            Tensor? contextSlots = c.Start == 0 ? null : tensor(Cache.SlotsOf(c.BlockTable, 0, ctx), device: device);
            Tensor? mask = null;
            if (c.Start > 0 || window is not null)
            {
                var allowed = new bool[c.Count * ctx];
                for (int q = 0; q < c.Count; q++)
                {
                    int pos = c.Start + q;
                    for (int k = 0; k <= pos; k++)
                    {
                        allowed[q * ctx + k] = window is null || k > pos - window;
                    }
                }
                mask = tensor(allowed, device: device).view(c.Count, ctx);
            }
            chunkMeta.Add(new ChunkAttention(row, c.Start, c.Count, contextSlots, mask, PlainCausal: window is null));
            row += c.Count;
        }
        return new AttentionMetadata(tensor(slotMapping, device: device), decode.Length, decodeSlots, decodeMask, chunkMeta);
    }
}
