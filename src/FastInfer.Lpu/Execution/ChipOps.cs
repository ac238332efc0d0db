using FastInfer.Engine.Formats;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// One entry of a chip's fixed list. Each calls the very kernel the Engine calls for the same values, on one thread:
/// for one decode token what <see cref="LlamaTransformer.Forward"/> calls, for a batch of prompt tokens what
/// <see cref="LlamaTransformer.Prefill"/> calls. Matrix products run on row slices (each output row is the same dot
/// product whatever rows share the call), attention on whole heads, norms and residual adds on whole vectors. That is
/// what makes the device's logits bit-identical to the Engine's for every chip count. Activations of a pass are
/// token-major: token t of a vector of width w starts at t·w.
/// </summary>
internal abstract class ChipOp
{
    public abstract void Run(ChipMemory chip, TokenInput input);

    /// <summary>The single-thread pool: a chip is one core, and the row split is the compiler's, not the pool's.</summary>
    internal static ComputePool SingleCore => ComputePool.SingleThreaded;

    protected static ComputePool Core => SingleCore;
}

/// <summary>End of a transfer: wait until every chip of the group has written its part.</summary>
internal sealed class SyncOp(SpinBarrier barrier) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => barrier.Arrive();
}

/// <summary>The chip whose tile holds a token's embedding row writes it for the first stage.</summary>
internal sealed class EmbedLookupOp(WeightMatrix tile, int firstRow, float[] target) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int width = tile.Columns;
        for (int t = 0; t < input.Count; t++)
        {
            int row = input.Tokens[t] - firstRow;
            if ((uint)row < (uint)tile.Rows)
                Quantizer.Dequantize(tile.Type, tile.RowSpan(row), target.AsSpan(t * width, width));
        }
    }
}

/// <summary>Takes the residual stream from a shared vector (the embedding, or the previous stage's hand-off).</summary>
internal sealed class LoadResidualOp(float[] source, int width) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => source.AsSpan(0, input.Count * width).CopyTo(chip.Residual);
}

/// <summary>Hands the residual stream to the next stage.</summary>
internal sealed class StoreResidualOp(float[] target, int width) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) => chip.Residual.AsSpan(0, input.Count * width).CopyTo(target);
}

/// <param name="lastOnly">Normalize only the pass's last token (into the first row): the head needs only its logits.</param>
internal sealed class RmsNormOp(TensorView weight, float epsilon, int width, bool lastOnly = false) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        var gain = weight.AsF32Span();
        if (lastOnly)
        {
            Norms.RmsNorm(chip.Residual.AsSpan((input.Count - 1) * width, width), gain, epsilon, chip.Normed.AsSpan(0, width));
            return;
        }
        for (int t = 0; t < input.Count; t++)
            Norms.RmsNorm(chip.Residual.AsSpan(t * width, width), gain, epsilon, chip.Normed.AsSpan(t * width, width));
    }
}

/// <summary>
/// This chip's rows of W·x into its rows of a shared vector of <paramref name="outputWidth"/> per token; x is the
/// chip's normed residual or a shared vector. One token is exactly the matrix-vector product the Engine's decode
/// runs; several go through the Engine's prefill matrix product, into the chip's scratch and then to their rows.
/// </summary>
/// <param name="output">The shared vector, or null for the running session's logits (<see cref="TokenInput.Logits"/>),
/// which the head writes in place so that no copy of the vocabulary follows each token.</param>
/// <param name="lastOnly">Only the pass's last token, whose input <see cref="RmsNormOp"/> put in the first row.</param>
internal sealed class ProjectOp(WeightMatrix tile, float[]? sharedInput, float[]? output, int firstRow, int outputWidth, bool lastOnly = false) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int n = lastOnly ? 1 : input.Count, rows = tile.Rows;
        var x = (sharedInput ?? chip.Normed).AsSpan(0, n * tile.Columns);
        var target = output ?? input.Logits;
        if (n == 1)
        {
            MatVec.Multiply(tile, x, target.AsSpan(firstRow, rows), Core);
            return;
        }
        var local = chip.Scratch.AsSpan(0, n * rows);
        MatMul.Multiply(tile, x, local, n, Core);
        for (int t = 0; t < n; t++)
            local.Slice(t * rows, rows).CopyTo(target.AsSpan(t * outputWidth + firstRow, rows));
    }
}

/// <summary>
/// silu(gate) · up on this chip's hidden rows of every token. The rows come in whole vector widths, so the
/// element-wise loop runs each element exactly as the Engine's loop over the whole vector (or the whole batch) does.
/// </summary>
internal sealed class SwiGluOp(float[] gate, float[] up, int start, int end, int width) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        for (int t = 0; t < input.Count; t++)
            Activations.SiluMul(gate.AsSpan(t * width + start, end - start), up.AsSpan(t * width + start, end - start));
    }
}

internal sealed class AddResidualOp(float[] rows, int width) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input) =>
        VectorOps.Add(chip.Residual.AsSpan(0, input.Count * width), rows.AsSpan(0, input.Count * width));
}

/// <summary>
/// Attention for the KV heads this chip holds: its query, key and value rows, RoPE, the new keys and values into its
/// cache, then attention of its query heads into their slice of the shared heads vector (of
/// <paramref name="queryDimension"/> per token). A decode token runs the Engine's decode attention, a prompt pass its
/// prefill attention, as the Engine does.
/// </summary>
internal sealed class AttendOp(
    int layer, WeightMatrix query, WeightMatrix key, WeightMatrix value, RopeTable rope,
    int heads, int kvHeads, int headDimension, int slidingWindow, float[] sharedHeads, int firstElement, int queryDimension) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int n = input.Count, start = input.Position, row = kvHeads * headDimension, width = heads * headDimension;
        var cache = chip.Cache!;
        var keys = cache.Keys[layer]!;
        var values = cache.Values[layer]!;
        var x = chip.Normed.AsSpan(0, n * query.Columns);
        var q = chip.Query.AsSpan(0, n * width);
        var k = keys.AsSpan(start * row, n * row);
        var v = values.AsSpan(start * row, n * row);
        MatMul.Multiply(query, x, q, n, Core);
        MatMul.Multiply(key, x, k, n, Core);
        MatMul.Multiply(value, x, v, n, Core);
        for (int t = 0; t < n; t++)
        {
            rope.Apply(q.Slice(t * width, width), heads, start + t);
            rope.Apply(k.Slice(t * row, row), kvHeads, start + t);
        }
        if (!input.Prompt)
        {
            int first = slidingWindow > 0 ? Math.Max(0, start - slidingWindow + 1) : 0;
            Attention.Decode(q, keys, values, first, start + 1, heads, kvHeads, headDimension,
                sharedHeads.AsSpan(firstElement, width), Core);
            return;
        }
        var attended = chip.Attended.AsSpan(0, n * width);
        Attention.Prefill(q, n, start, keys, values, heads, kvHeads, headDimension, attended, Core, slidingWindow);
        for (int t = 0; t < n; t++)
            attended.Slice(t * width, width).CopyTo(sharedHeads.AsSpan(t * queryDimension + firstElement, width));
    }
}

/// <summary>
/// Every chip routes for itself from the shared router logits, with the Engine's own routing. A prompt pass then
/// packs the routed (token, expert) pairs as the Engine's batched expert mix gathers them: expert by expert, tokens
/// in order, so each expert's rows of the shared expert vectors are one contiguous batch.
/// </summary>
internal sealed class RouteOp(float[] routerLogits) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int experts = chip.Experts, k = chip.ExpertsUsed;
        for (int t = 0; t < input.Count; t++)
        {
            routerLogits.AsSpan(t * experts, experts).CopyTo(chip.Probabilities);
            LlamaTransformer.Route(chip.Probabilities, chip.Selected.AsSpan(t * k, k), chip.SelectedWeights.AsSpan(t * k, k));
        }
        if (!input.Prompt)
            return;
        int routed = 0;
        for (int e = 0; e < experts; e++)
        {
            chip.ExpertOffset[e] = routed;
            for (int t = 0; t < input.Count; t++)
            {
                for (int i = 0; i < k; i++)
                {
                    if (chip.Selected[t * k + i] != e)
                        continue;
                    chip.RoutedTokens[routed] = t;
                    chip.RoutedWeights[routed] = chip.SelectedWeights[t * k + i];
                    routed++;
                }
            }
        }
        chip.ExpertOffset[experts] = routed;
    }
}

/// <summary>The rows of one expert's projection that one chip holds.</summary>
internal readonly record struct ExpertTile(int Expert, WeightMatrix Tile, int FirstRow);

/// <summary>
/// For each routed expert whose gate and up rows this chip holds: those rows and silu(gate) · up. A decode token
/// writes them in the expert's slot; a prompt pass runs each expert once on its gathered tokens, as the Engine does.
/// </summary>
internal sealed class ExpertHiddenOp(ExpertTile[] gates, ExpertTile[] ups, float[] sharedGate, float[] sharedUp, int feedForward) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        if (input.Prompt)
        {
            for (int t = 0; t < gates.Length; t++)
                RunBatch(chip, gates[t], ups[t]);
            return;
        }
        for (int slot = 0; slot < chip.ExpertsUsed; slot++)
        {
            for (int t = 0; t < gates.Length; t++)
            {
                if (gates[t].Expert != chip.Selected[slot])
                    continue;
                int start = slot * feedForward + gates[t].FirstRow, rows = gates[t].Tile.Rows;
                var x = chip.Normed.AsSpan(0, gates[t].Tile.Columns);
                MatVec.Multiply(gates[t].Tile, x, sharedGate.AsSpan(start, rows), Core);
                MatVec.Multiply(ups[t].Tile, x, sharedUp.AsSpan(start, rows), Core);
                Activations.SiluMul(sharedGate.AsSpan(start, rows), sharedUp.AsSpan(start, rows));
            }
        }
    }

    private void RunBatch(ChipMemory chip, ExpertTile gate, ExpertTile up)
    {
        int first = chip.ExpertOffset[gate.Expert], routed = chip.ExpertOffset[gate.Expert + 1] - first;
        if (routed == 0)
            return;
        int dim = gate.Tile.Columns, rows = gate.Tile.Rows;
        var x = chip.ExpertInput.AsSpan(0, routed * dim);
        for (int r = 0; r < routed; r++)
            chip.Normed.AsSpan(chip.RoutedTokens[first + r] * dim, dim).CopyTo(x.Slice(r * dim, dim));
        ExpertBatch.Multiply(chip, gate.Tile, x, routed, sharedGate, first, feedForward, gate.FirstRow);
        ExpertBatch.Multiply(chip, up.Tile, x, routed, sharedUp, first, feedForward, gate.FirstRow);
        for (int r = 0; r < routed; r++)
        {
            int start = (first + r) * feedForward + gate.FirstRow;
            Activations.SiluMul(sharedGate.AsSpan(start, rows), sharedUp.AsSpan(start, rows));
        }
    }
}

/// <summary>
/// For each routed expert whose down rows this chip holds: those output rows. A decode token writes them in the
/// expert's slot; a prompt pass runs each expert once on its gathered tokens' hidden rows.
/// </summary>
internal sealed class ExpertRowsOp(ExpertTile[] downs, float[] sharedGate, float[] sharedRows, int feedForward, int embedding) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        if (input.Prompt)
        {
            foreach (var down in downs)
            {
                int first = chip.ExpertOffset[down.Expert], routed = chip.ExpertOffset[down.Expert + 1] - first;
                if (routed > 0)
                    ExpertBatch.Multiply(chip, down.Tile, sharedGate.AsSpan(first * feedForward, routed * feedForward), routed,
                        sharedRows, first, embedding, down.FirstRow);
            }
            return;
        }
        for (int slot = 0; slot < chip.ExpertsUsed; slot++)
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

/// <summary>An expert's rows on a batch of routed tokens, into that batch's rows of a shared expert vector.</summary>
internal static class ExpertBatch
{
    /// <summary>W·x for <paramref name="routed"/> tokens, row r going to packed row <paramref name="first"/> + r of
    /// <paramref name="shared"/> (of <paramref name="width"/> per row), at <paramref name="firstRow"/>.</summary>
    public static void Multiply(ChipMemory chip, WeightMatrix tile, ReadOnlySpan<float> x, int routed, float[] shared, int first, int width, int firstRow)
    {
        int rows = tile.Rows;
        var local = chip.Scratch.AsSpan(0, routed * rows);
        MatMul.Multiply(tile, x, local, routed, ChipOp.SingleCore);
        for (int r = 0; r < routed; r++)
            local.Slice(r * rows, rows).CopyTo(shared.AsSpan((first + r) * width + firstRow, rows));
    }
}

/// <summary>
/// Weighted sum of the routed experts' outputs added to the residual, as the Engine does: for a decode token in
/// routing order, for a prompt pass expert by expert over the gathered tokens.
/// </summary>
internal sealed class CombineExpertsOp(float[] sharedRows, int embedding) : ChipOp
{
    public override void Run(ChipMemory chip, TokenInput input)
    {
        int n = input.Count;
        var output = chip.Combined.AsSpan(0, n * embedding);
        output.Clear();
        if (input.Prompt)
        {
            for (int p = 0; p < chip.ExpertOffset[chip.Experts]; p++)
                VectorOps.AddScaled(output.Slice(chip.RoutedTokens[p] * embedding, embedding), sharedRows.AsSpan(p * embedding, embedding), chip.RoutedWeights[p]);
        }
        else
        {
            for (int slot = 0; slot < chip.ExpertsUsed; slot++)
                VectorOps.AddScaled(output, sharedRows.AsSpan(slot * embedding, embedding), chip.SelectedWeights[slot]);
        }
        VectorOps.Add(chip.Residual.AsSpan(0, n * embedding), output);
    }
}
