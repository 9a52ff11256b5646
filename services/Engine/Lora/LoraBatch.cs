using static TorchSharp.torch;

namespace Platform.Engine.Lora;

/// <summary>
/// One step's rows grouped by adapter (the segmented gather-matmul of Punica/S-LoRA): each adapter's rows
/// are gathered once per projection, run through x·Aᵀ·scale then ·Bᵀ, and added back into their rows of
/// the base projection's output. Rows without an adapter cost nothing. Built by the model runner per step;
/// its index tensors belong to the step's dispose scope.
/// </summary>
public sealed class LoraBatch
{
    private readonly IReadOnlyList<(LoraAdapter Adapter, Tensor? Rows)> _groups;

    private LoraBatch(IReadOnlyList<(LoraAdapter, Tensor?)> groups)
    {
        _groups = groups;
    }

    public int NumAdapters => _groups.Count;

    /// <summary>Groups the batch rows by adapter; null when no row has one. <paramref name="adapterOfRow"/> has one entry per row.</summary>
    public static LoraBatch? Build(IReadOnlyList<LoraAdapter?> adapterOfRow, Device device)
    {
        var rowsOf = new Dictionary<LoraAdapter, List<long>>(ReferenceEqualityComparer.Instance);
        for (int row = 0; row < adapterOfRow.Count; row++)
        {
            if (adapterOfRow[row] is { } adapter)
            {
                if (!rowsOf.TryGetValue(adapter, out var rows))
                {
                    rowsOf[adapter] = rows = [];
                }
                rows.Add(row);
            }
        }
        if (rowsOf.Count == 0)
        {
            return null;
        }
        // A batch wholly under one adapter skips the gather and scatter.
        return new LoraBatch([.. rowsOf.Select(kv => (kv.Key, kv.Value.Count == adapterOfRow.Count ? null : tensor(kv.Value.ToArray(), device: device)))]);
    }

    /// <summary>
    /// Every row under <paramref name="adapter"/>, whatever the row count: for passes whose rows shrink from layer
    /// to layer (CacheBlend's selected tokens) and are all one request's.
    /// </summary>
    public static LoraBatch ForAll(LoraAdapter adapter) => new([(adapter, null)]);

    /// <summary>Adds each row's adapter delta for <paramref name="group"/> of <paramref name="layer"/> into <paramref name="y"/> in place.</summary>
    public Tensor Apply(int layer, LoraProjectionGroup group, Tensor x, Tensor y)
    {
        foreach (var (adapter, rows) in _groups)
        {
            if (adapter.Fused(layer, group) is not { } fused)
            {
                continue;
            }
            using var scope = NewDisposeScope();
            var xs = rows is null ? x : x.index_select(0, rows);
            var mid = xs.matmul(fused.A.t()).mul_(adapter.Scale);
            foreach (var part in fused.Parts)
            {
                var delta = mid.narrow(1, part.RankOffset, part.Rank).matmul(part.B.t());
                var target = y.narrow(1, part.OutOffset, part.B.shape[0]);
                if (rows is null)
                {
                    target.add_(delta);
                }
                else
                {
                    target.index_add_(0, rows, delta, 1);
                }
            }
        }
        return y;
    }
}
