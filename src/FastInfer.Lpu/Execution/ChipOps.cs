using FastInfer.Engine.Formats;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// One entry of a chip's fixed list. Each calls the very kernel the Engine's <see cref="LlamaTransformer.Forward"/>
/// calls for the same values, on one thread: matrix products on row slices (each output row is the same dot product
/// whatever rows share the call), attention on whole heads, norms and residual adds on whole vectors. That is what
/// makes the device's logits bit-identical to the Engine's for every chip count.
/// </summary>
internal abstract class ChipOp
{
    public abstract void Run(ChipMemory chip, TokenInput input);

    /// <summary>The single-thread pool: a chip is one core, and the row split is the compiler's, not the pool's.</summary>
    protected static ComputePool Core => ComputePool.SingleThreaded;
}

/// <summary>End of a transfer: wait until every chip of the group has written its part.</summary>
internal sealed class SyncOp(SpinBarrier barrier) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => barrier.Arrive();
}

/// <summary>The chip whose tile holds the token's embedding row writes it for the first stage.</summary>
internal sealed class EmbedLookupOp(WeightMatrix tile, int firstRow, float[] target) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int row = input.Token - firstRow;
        if ((uint)row < (uint)tile.Rows)
            Quantizer.Dequantize(tile.Type, tile.RowSpan(row), target);
    }
}

/// <summary>Takes the residual stream from a shared vector (the embedding, or the previous stage's hand-off).</summary>
internal sealed class LoadResidualOp(float[] source) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => source.CopyTo(chip.Residual, 0);
}

/// <summary>Hands the residual stream to the next stage.</summary>
internal sealed class StoreResidualOp(float[] target) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => chip.Residual.CopyTo(target, 0);
}

internal sealed class RmsNormOp(TensorView weight, float epsilon) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) =>
        Norms.RmsNorm(chip.Residual, weight.AsF32Span(), epsilon, chip.Normed);
}

/// <summary>This chip's rows of W·x into its rows of a shared vector; x is the chip's normed residual or a shared vector.</summary>
internal sealed class ProjectOp(WeightMatrix tile, float[]? sharedInput, float[] output, int firstRow) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) =>
        MatVec.Multiply(tile, sharedInput ?? chip.Normed, output.AsSpan(firstRow, tile.Rows), Core);
}

/// <summary>silu(gate) · up on this chip's hidden rows (whole vector widths, so the element-wise loop runs as on the whole vector).</summary>
internal sealed class SwiGluOp(float[] gate, float[] up, int start, int end) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) =>
        Activations.SiluMul(gate.AsSpan(start, end - start), up.AsSpan(start, end - start));
}

internal sealed class AddResidualOp(float[] rows) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => VectorOps.Add(chip.Residual, rows);
}

/// <summary>
/// Attention for the KV heads this chip holds: its query, key and value rows, RoPE, the new key and value into its
/// cache, then attention of its query heads into their slice of the shared heads vector.
/// </summary>
internal sealed class AttendOp(
    int layer, WeightMatrix query, WeightMatrix key, WeightMatrix value, RopeTable rope,
    int heads, int kvHeads, int headDimension, int slidingWindow, float[] sharedHeads, int firstElement) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int position = input.Position, row = kvHeads * headDimension;
        var cache = chip.Cache!;
        var keys = cache.Keys[layer]!;
        var values = cache.Values[layer]!;
        var q = chip.Query.AsSpan(0, heads * headDimension);
        var k = keys.AsSpan(position * row, row);
        var v = values.AsSpan(position * row, row);
        MatVec.Multiply(query, chip.Normed, q, Core);
        MatVec.Multiply(key, chip.Normed, k, Core);
        MatVec.Multiply(value, chip.Normed, v, Core);
        rope.Apply(q, heads, position);
        rope.Apply(k, kvHeads, position);
        int first = slidingWindow > 0 ? Math.Max(0, position - slidingWindow + 1) : 0;
        Attention.Decode(q, keys, values, first, position + 1, heads, kvHeads, headDimension,
            sharedHeads.AsSpan(firstElement, heads * headDimension), Core);
    }
}

/// <summary>Every chip routes for itself from the shared router logits, with the Engine's own routing.</summary>
internal sealed class RouteOp(float[] routerLogits) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        routerLogits.CopyTo(chip.Probabilities, 0);
        LlamaTransformer.Route(chip.Probabilities, chip.Selected, chip.SelectedWeights);
    }
}

/// <summary>The rows of one expert's projection that one chip holds.</summary>
internal readonly record struct ExpertTile(int Expert, WeightMatrix Tile, int FirstRow);

/// <summary>For each routed expert whose gate and up rows this chip holds: those rows and silu(gate) · up, in the expert's slot.</summary>
internal sealed class ExpertHiddenOp(ExpertTile[] gates, ExpertTile[] ups, float[] sharedGate, float[] sharedUp, int feedForward) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        for (int slot = 0; slot < chip.Selected.Length; slot++)
        {
            for (int t = 0; t < gates.Length; t++)
            {
                if (gates[t].Expert != chip.Selected[slot])
                    continue;
                int start = slot * feedForward + gates[t].FirstRow, rows = gates[t].Tile.Rows;
                MatVec.Multiply(gates[t].Tile, chip.Normed, sharedGate.AsSpan(start, rows), Core);
                MatVec.Multiply(ups[t].Tile, chip.Normed, sharedUp.AsSpan(start, rows), Core);
                Activations.SiluMul(sharedGate.AsSpan(start, rows), sharedUp.AsSpan(start, rows));
            }
        }
    }
}

/// <summary>For each routed expert whose down rows this chip holds: those output rows, in the expert's slot.</summary>
internal sealed class ExpertRowsOp(ExpertTile[] downs, float[] sharedGate, float[] sharedRows, int feedForward, int embedding) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        for (int slot = 0; slot < chip.Selected.Length; slot++)
        {
            foreach (var down in downs)
            {
                if (down.Expert == chip.Selected[slot])
                    MatVec.Multiply(down.Tile, sharedGate.AsSpan(slot * feedForward, feedForward),
                        sharedRows.AsSpan(slot * embedding + down.FirstRow, down.Tile.Rows), Core);
            }
        }
    }
}

/// <summary>Weighted sum of the routed experts' outputs, in routing order, added to the residual (as the Engine does).</summary>
internal sealed class CombineExpertsOp(float[] sharedRows, int embedding) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        var output = chip.Combined.AsSpan();
        output.Clear();
        for (int slot = 0; slot < chip.Selected.Length; slot++)
            VectorOps.AddScaled(output, sharedRows.AsSpan(slot * embedding, embedding), chip.SelectedWeights[slot]);
        VectorOps.Add(chip.Residual, output);
    }
}
