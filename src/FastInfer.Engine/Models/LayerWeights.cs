using FastInfer.Engine.Formats;
using FastInfer.Kernels;

namespace FastInfer.Engine.Models;

/// <summary>The weights of one decoder block, as views into the model file.</summary>
public sealed class LayerWeights
{
    public required TensorView AttentionNorm { get; init; }
    public required WeightMatrix Query { get; init; }
    public required WeightMatrix Key { get; init; }
    public required WeightMatrix Value { get; init; }
    public required WeightMatrix AttentionOutput { get; init; }
    public required TensorView FeedForwardNorm { get; init; }

    /// <summary>The dense SwiGLU block; null in a mixture-of-experts layer.</summary>
    public DenseFeedForward? Dense { get; init; }

    /// <summary>The routed experts; null in a dense layer.</summary>
    public ExpertFeedForward? Experts { get; init; }
}

/// <summary>down(silu(gate·x) ⊙ up·x).</summary>
public sealed record DenseFeedForward(WeightMatrix Gate, WeightMatrix Up, WeightMatrix Down);

/// <summary>A router and its experts, each a <see cref="DenseFeedForward"/> of its own.</summary>
public sealed record ExpertFeedForward(WeightMatrix Router, DenseFeedForward[] Experts, int ExpertsPerToken);
