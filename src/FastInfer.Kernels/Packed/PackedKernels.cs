using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Entry of the packed kernels for MatVec and MatMul: runs when the matrix carries a packed copy and the path is
/// 256-bit or wider. The V128 and scalar paths decline, and the caller's row-major kernels run on the original
/// ggml data the matrix still points at. VNNI where <see cref="RowDot.UsesVnni"/> says so; plain AVX2 otherwise.
/// </summary>
internal static unsafe class PackedKernels
{
    /// <summary>y (tokens×rows) = x (tokens×columns)·Wᵀ over the packed copy; false when this matrix or path has none to use.</summary>
    public static bool TryMultiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
    {
        // Half-float packed copies are read by the float kernels themselves (MatVec's and FloatGemm512's), after the
        // activations are rounded as those kernels need.
        if (!w.Packed.IsPresent || !PackedWeights.IsReadOn(path) || PackedHalfFloat.Holds(w.Type))
            return false;
        if (PackedRows.CanRead(w.Type) && tokens != 1)
            return TokenByToken(w, x, y, tokens, pool, path);
        bool vnni = RowDot.UsesVnni(path);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            switch (w.Type)
            {
                case GgmlType.Q4_0 when tokens == 1 && PackedPair.IsUsable(path): RunPairs<PairQ4_0Sum>(w, px, py, pool); break;
                case GgmlType.Q4_0 when vnni: Run<PackedQ4_0, VnniPackedStep>(w, px, py, tokens, pool); break;
                case GgmlType.Q4_0: Run<PackedQ4_0, MaddubsPackedStep>(w, px, py, tokens, pool); break;
                case GgmlType.Q5_0 when tokens == 1 && PackedPair.IsUsable(path): RunPairs<PairQ5_0Sum>(w, px, py, pool); break;
                case GgmlType.Q5_0 when vnni: Run<PackedQ5_0, VnniPackedStep>(w, px, py, tokens, pool); break;
                case GgmlType.Q5_0: Run<PackedQ5_0, MaddubsPackedStep>(w, px, py, tokens, pool); break;
                case GgmlType.Q8_0 when tokens == 1 && PackedPair.IsUsable(path): RunPairs<PairQ8_0Sum>(w, px, py, pool); break;
                case GgmlType.Q8_0 when vnni: Run<PackedQ8_0, VnniPackedStep>(w, px, py, tokens, pool); break;
                case GgmlType.Q8_0: Run<PackedQ8_0, SignedMaddubsPackedStep>(w, px, py, tokens, pool); break;
                case GgmlType.Q2_K when PackedPair.IsUsable(path): RunPairKernel(w, new PackedQ2_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(px, SuperBlocks(w)) }, py, pool); break;
                case GgmlType.Q2_K when vnni: RunSuperBlocks<PackedQ2_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q2_K: RunSuperBlocks<PackedQ2_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q3_K when PackedPair.IsUsable(path): RunPairKernel(w, new PackedQ3_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(px, SuperBlocks(w)) }, py, pool); break;
                case GgmlType.Q3_K when vnni: RunSuperBlocks<PackedQ3_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q3_K: RunSuperBlocks<PackedQ3_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q4_K when PackedPair.IsUsable(path): RunPairKernel(w, new PackedQ4_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(px, SuperBlocks(w)) }, py, pool); break;
                case GgmlType.Q4_K when vnni: RunSuperBlocks<PackedQ4_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q4_K: RunSuperBlocks<PackedQ4_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q5_K when PackedPair.IsUsable(path): RunPairKernel(w, new PackedQ5_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(px, SuperBlocks(w)) }, py, pool); break;
                case GgmlType.Q5_K when vnni: RunSuperBlocks<PackedQ5_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q5_K: RunSuperBlocks<PackedQ5_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q6_K when PackedPair.IsUsable(path): RunPairKernel(w, new PackedQ6_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(px, SuperBlocks(w)) }, py, pool); break;
                case GgmlType.Q6_K when vnni: RunSuperBlocks<PackedQ6_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q6_K: RunSuperBlocks<PackedQ6_K, MaddubsPackedStep>(w, px, py, pool); break;
                default: throw new InvalidOperationException($"a packed copy of a {w.Type} matrix cannot exist");
            }
        }
        return true;
    }

    private static void RunPairs<TSum>(in WeightMatrix w, float* x, float* y, ComputePool pool) where TSum : struct, IPairBlockSum
    {
        int blocks = w.Columns / PackedLayout.BlockColumns;
        RunPairKernel(w, new PackedPairKernel<TSum> { Blocks = blocks, A = PackedActivations.Prepare(x, 1, blocks, TSum.ZeroPoint, pool) }, y, pool);
    }

    /// <summary>
    /// Packed K-quants have decode kernels only. Q2_K and Q3_K, whose row-major kernels run at a fraction of the
    /// packed ones' speed and share no unpacking between tokens, take every token through the decode kernel; Q4_K, Q5_K
    /// and Q6_K do so for a few tokens (an expert's share of a short prompt), where the row-major prefill kernels would
    /// first write rows back from the copy for little reuse (<see cref="Ops.QuantGemm.KQuantGemm.ReadsPackedRows"/>).
    /// False leaves a larger batch to those kernels.
    /// </summary>
    private static bool TokenByToken(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
    {
        if (w.Type is not (GgmlType.Q2_K or GgmlType.Q3_K) && tokens > TokenByTokenLimit)
            return false;
        // One token passes the checks this call already passed, so each runs the decode kernel.
        for (int t = 0; t < tokens; t++)
        {
            if (!TryMultiply(w, x.Slice(t * w.Columns, w.Columns), y.Slice(t * w.Rows, w.Rows), 1, pool, path))
                throw new InvalidOperationException($"the packed {w.Type} decode kernel declined a token it was chosen for");
        }
        return true;
    }

    /// <summary>Tokens up to which Q4_K, Q5_K and Q6_K prefill runs the decode kernel token by token.</summary>
    public const int TokenByTokenLimit = 4;

    private static int SuperBlocks(in WeightMatrix w) => w.Columns / PackedKActivations.SuperBlockColumns;

    private static void RunPairKernel<TKernel>(in WeightMatrix w, TKernel kernel, float* y, ComputePool pool) where TKernel : struct, IPackedPairKernel
    {
        var job = new PackedPairMatVec<TKernel> { View = w.Packed, Rows = w.Rows, Kernel = kernel, Y = y };
        pool.ForBalanced(PackedPairMatVec<TKernel>.PairCount(w.Packed, w.Rows), ref job, 1, w.Packed.GroupCount(w.Rows) * w.Packed.GroupBytes);
    }

    private static void RunSuperBlocks<TFormat, TStep>(in WeightMatrix w, float* x, float* y, ComputePool pool)
        where TFormat : struct, IPackedSuperBlockFormat where TStep : struct, IPackedStep
    {
        int superBlocks = SuperBlocks(w);
        var job = new PackedSuperBlockMatVec<TFormat, TStep>
        {
            View = w.Packed, Rows = w.Rows, SuperBlocks = superBlocks, A = PackedKActivations.Prepare(x, superBlocks), Y = y,
        };
        int groups = w.Packed.GroupCount(w.Rows);
        pool.ForBalanced(groups, ref job, 1, groups * w.Packed.GroupBytes);
    }

    private static void Run<TFormat, TStep>(in WeightMatrix w, float* x, float* y, int tokens, ComputePool pool)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
    {
        if (tokens > 1) { PackedMatMul<TFormat, TStep>.Multiply(w, x, y, tokens, pool); return; }
        int blocks = w.Columns / PackedLayout.BlockColumns;
        var activations = PackedActivations.Prepare(x, tokens, blocks, TStep.UsesZeroPoint ? TFormat.ZeroPoint : 0, pool);
        int groups = w.Packed.GroupCount(w.Rows);
        if (tokens == 1)
        {
            var job = new PackedMatVec<TFormat, TStep>
            {
                View = w.Packed, Rows = w.Rows, Blocks = blocks, A = activations, Y = y,
            };
            pool.ForBalanced(groups, ref job, 1, groups * w.Packed.GroupBytes);
        }
    }
}
