using Platform.Engine.Configuration;

namespace Platform.Engine.Lora;

/// <summary>PEFT module names and the [out, in] shape of each target in a given model.</summary>
public static class LoraTargets
{
    public static IReadOnlyList<LoraTarget> All { get; } = Enum.GetValues<LoraTarget>();

    /// <summary>The checkpoint module path under <c>model.layers.N.</c>: <c>self_attn.q_proj</c>, <c>mlp.down_proj</c>, ...</summary>
    public static string ModulePath(LoraTarget target) => target switch
    {
        LoraTarget.QProj => "self_attn.q_proj",
        LoraTarget.KProj => "self_attn.k_proj",
        LoraTarget.VProj => "self_attn.v_proj",
        LoraTarget.OProj => "self_attn.o_proj",
        LoraTarget.GateProj => "mlp.gate_proj",
        LoraTarget.UpProj => "mlp.up_proj",
        LoraTarget.DownProj => "mlp.down_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    /// <summary>The short name PEFT lists in target_modules: <c>q_proj</c>, <c>down_proj</c>, ...</summary>
    public static string ShortName(LoraTarget target) => ModulePath(target)[(ModulePath(target).IndexOf('.') + 1)..];

    public static bool TryParse(string name, out LoraTarget target)
    {
        foreach (var t in All)
        {
            if (string.Equals(ShortName(t), name, StringComparison.Ordinal))
            {
                target = t;
                return true;
            }
        }
        target = default;
        return false;
    }

    /// <summary>The targets PEFT's short names name; <see cref="ArgumentException"/> for a name that is none.</summary>
    public static LoraTarget[] ParseAll(IEnumerable<string> names) =>
        [.. names.Select(t => TryParse(t, out var target) ? target : throw new ArgumentException($"unknown target module '{t}'"))];

    /// <summary>(out features, in features) of the target's base weight.</summary>
    public static (long Out, long In) Shape(LoraTarget target, ModelConfig config)
    {
        long h = config.HiddenSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim;
        long kv = (long)config.NumKeyValueHeads * config.HeadDim;
        long inter = config.IntermediateSize;
        return target switch
        {
            LoraTarget.QProj => (q, h),
            LoraTarget.KProj or LoraTarget.VProj => (kv, h),
            LoraTarget.OProj => (h, q),
            LoraTarget.GateProj or LoraTarget.UpProj => (inter, h),
            LoraTarget.DownProj => (h, inter),
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
    }

    /// <summary>PEFT's tensor name: <c>base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight</c>.</summary>
    public static string TensorName(int layer, LoraTarget target, char matrix) =>
        $"base_model.model.model.layers.{layer}.{ModulePath(target)}.lora_{matrix}.weight";
}
