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

    /// <summary>
    /// Query and Key, and Value too when it has their type, stacked row-wise into one matrix at load
    /// (<see cref="ModelLoadOptions.FuseProjections"/>), so decode quantizes the input once and runs one matrix-vector
    /// product; <see cref="Query"/>, <see cref="Key"/> and <see cref="Value"/> are then row slices of it. Null when they
    /// stay separate.
    /// </summary>
    public WeightMatrix? QueryKeyValue { get; init; }

    /// <summary>True when <see cref="QueryKeyValue"/> holds the value rows too (not only query and key).</summary>
    public bool FusesValue => QueryKeyValue is { } fused && fused.Rows == Query.Rows + Key.Rows + Value.Rows;

    /// <summary>
    /// Query, key and value as row slices of a fused matrix; the value is <paramref name="separateValue"/> when the
    /// fused matrix ends after the key rows.
    /// </summary>
    internal static (WeightMatrix Query, WeightMatrix Key, WeightMatrix Value) SlicesOf(WeightMatrix fused, int queryRows, int keyRows, WeightMatrix? separateValue)
    {
        int valueRows = fused.Rows - queryRows - keyRows;
        var value = valueRows > 0 ? fused.SliceRows(queryRows + keyRows, valueRows)
            : separateValue ?? throw new ArgumentException("a fused matrix of query and key rows only needs the separate value matrix", nameof(separateValue));
        return (fused.SliceRows(0, queryRows), fused.SliceRows(queryRows, keyRows), value);
    }

    /// <summary>The dense SwiGLU block; null in a mixture-of-experts layer.</summary>
    public DenseFeedForward? Dense { get; init; }

    /// <summary>The routed experts; null in a dense layer.</summary>
    public ExpertFeedForward? Experts { get; init; }
}

/// <summary>down(silu(gate·x) ⊙ up·x).</summary>
public sealed record DenseFeedForward(WeightMatrix Gate, WeightMatrix Up, WeightMatrix Down)
{
    /// <summary>
    /// Gate and Up stacked row-wise into one matrix at load (<see cref="ModelLoadOptions.FuseProjections"/>), of which
    /// <see cref="Gate"/> and <see cref="Up"/> are then the two row halves. Null when they stay separate.
    /// </summary>
    public WeightMatrix? GateUp { get; init; }

    /// <summary>The block reading gate and up as the two row halves of <paramref name="gateUp"/>.</summary>
    internal static DenseFeedForward Stacked(WeightMatrix gateUp, int gateRows, WeightMatrix down)
        => new(gateUp.SliceRows(0, gateRows), gateUp.SliceRows(gateRows, gateUp.Rows - gateRows), down) { GateUp = gateUp };
}

/// <summary>A router and its experts, each a <see cref="DenseFeedForward"/> of its own.</summary>
public sealed record ExpertFeedForward(WeightMatrix Router, DenseFeedForward[] Experts, int ExpertsPerToken);
