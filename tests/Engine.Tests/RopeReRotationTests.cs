using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using static Platform.Engine.Tests.BlendHarness;

namespace Platform.Engine.Tests;

/// <summary>Stored keys moved to new positions equal keys computed there, for the RoPE variants a blend accepts.</summary>
public sealed class RopeReRotationTests
{
    /// <summary>config.json fragments of the variants a blend accepts: plain RoPE, llama3 and linear scaling.</summary>
    public static TheoryData<string> RopeVariants =>
    [
        "",
        """, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}""",
        """, "rope_scaling": {"type": "linear", "factor": 4.0}""",
    ];

    [Theory]
    [MemberData(nameof(RopeVariants))]
    public void Keys_computed_at_p_and_rerotated_to_q_equal_keys_computed_at_q(string ropeConfig)
    {
        using var engine = Dummy(TinyConfig(ropeConfig));
        var chunk = Tokens(80, 30, 96);
        using var atOne = ChunkKvComputer.Compute(engine, chunk, Bos);
        // Layer 0's keys depend on the token and its position only, so the same tokens later in a prompt
        // give the reference: keys computed directly at q = p + 157.
        var filler = Tokens(81, 157, 96);
        using var later = ChunkKvComputer.Compute(engine, [.. filler, .. chunk], Bos);
        var rope = new RopeReRotation(engine.Model.Config);
        var moved = rope.Rotate(atOne.Layer(0).Keys, 157);
        var direct = later.Layer(0).Keys.narrow(0, 157, chunk.Length);
        Assert.True(moved.allclose(direct, 1e-4, 1e-5), $"max difference {(moved - direct).abs().max().item<float>()}");
        Assert.False(atOne.Layer(0).Keys.allclose(direct, 1e-2, 1e-3), "the positions must matter for this test to prove anything");
        var back = rope.Rotate(moved, -157);
        Assert.True(back.allclose(atOne.Layer(0).Keys, 1e-4, 1e-5));
    }

    [Theory]
    [MemberData(nameof(RopeVariants))]
    public void The_rerotation_agrees_with_the_models_own_rotary_tables(string ropeConfig)
    {
        using var engine = Dummy(TinyConfig(ropeConfig));
        Assert.Null(new RopeReRotation(engine.Model.Config).CheckAgainst(engine.Model.Rope, engine.Model.Device));
    }

    [Fact]
    public void A_rerotation_that_does_not_match_the_models_tables_is_caught_before_any_blend()
    {
        // Tables built with another rope_theta (or a scaling only one side knew) than the re-rotation uses.
        var config = TinyConfig();
        using var tables = new Platform.Engine.Model.RotaryEmbedding(
            config with { RopeTheta = config.RopeTheta * 4 }, 2048, TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU);
        string? mismatch = new RopeReRotation(config).CheckAgainst(tables, TorchSharp.torch.CPU);
        Assert.NotNull(mismatch);
        Assert.Contains("does not match this model's RoPE", mismatch, StringComparison.Ordinal);
        using var linear = new Platform.Engine.Model.RotaryEmbedding(
            config with { RopeScaling = new RopeScalingConfig { RopeTypeField = "linear", Factor = 2 } }, 2048,
            TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU);
        Assert.NotNull(new RopeReRotation(config).CheckAgainst(linear, TorchSharp.torch.CPU));
        // Tables kept in bfloat16 (as on GPUs) still agree.
        using var bf16 = new Platform.Engine.Model.RotaryEmbedding(config, 2048, TorchSharp.torch.ScalarType.BFloat16, TorchSharp.torch.CPU);
        Assert.Null(new RopeReRotation(config).CheckAgainst(bf16, TorchSharp.torch.CPU));
    }

    [Fact]
    public void Partial_rotary_and_length_dependent_scaling_are_refused()
    {
        var config = TinyConfig();
        Assert.Null(RopeReRotation.UnsupportedReason(config));
        Assert.Contains("partial_rotary_factor", RopeReRotation.UnsupportedReason(config with { PartialRotaryFactor = 0.5 }));
        var yarn = config with { RopeScaling = new RopeScalingConfig { RopeTypeField = "yarn", Factor = 4 } };
        Assert.Contains("yarn", RopeReRotation.UnsupportedReason(yarn));
        Assert.Throws<NotSupportedException>(() => new RopeReRotation(yarn));
    }
}
