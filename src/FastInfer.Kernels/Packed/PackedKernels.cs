using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Entry of the packed kernels for MatVec and MatMul: runs when the matrix carries a packed copy and the path is
/// 256-bit or wider. The V128 and scalar paths decline, and the caller's row-major kernels run on the original
/// ggml data the matrix still points at. VNNI where <see cref="RowDot.UsesVnni"/> says so; plain AVX2 otherwise, and on
/// the AVX-512 path prefill in 512-bit pairs of groups (<see cref="PackedPairPrefill"/>).
/// </summary>
internal static unsafe class PackedKernels
{
    /// <summary>y (tokens×rows) = x (tokens×columns)·Wᵀ over the packed copy; false when this matrix or path has none to use.</summary>
    public static bool TryMultiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
    {
        // Half-float packed copies are read by the float kernels themselves (MatVec's and FloatGemm's), after the
        // activations are rounded as those kernels need.
        if (!w.Packed.IsPresent || !PackedWeights.IsReadOn(path) || PackedHalfFloat.Holds(w.Type))
            return false;
        if (PackedRows.CanRead(w.Type) && tokens != 1)
            return TokenByToken(w, x, y, tokens, pool, path);
        bool vnni = RowDot.UsesVnni(path);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (tokens == 1 && PackedPair.IsUsable(path) && TryRunPairs(new ReadOnlySpan<WeightMatrix>(in w), px, py, pool))
                return true;
            switch (w.Type)
            {
                case GgmlType.Q4_0 when vnni: Run<PackedQ4_0, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q4_0: Run<PackedQ4_0, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q4_1 when vnni: Run<PackedWithMinimums<PackedQ4_0>, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q4_1: Run<PackedWithMinimums<PackedQ4_0>, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q5_0 when vnni: Run<PackedQ5_0, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q5_0: Run<PackedQ5_0, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q5_1 when vnni: Run<PackedWithMinimums<PackedQ5_0>, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q5_1: Run<PackedWithMinimums<PackedQ5_0>, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q8_0 when vnni: Run<PackedQ8_0, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q8_0: Run<PackedQ8_0, SignedMaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q2_K when vnni: RunSuperBlocks<PackedQ2_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q2_K: RunSuperBlocks<PackedQ2_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q3_K when vnni: RunSuperBlocks<PackedQ3_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q3_K: RunSuperBlocks<PackedQ3_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q4_K when vnni: RunSuperBlocks<PackedQ4_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q4_K: RunSuperBlocks<PackedQ4_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q5_K when vnni: RunSuperBlocks<PackedQ5_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q5_K: RunSuperBlocks<PackedQ5_K, MaddubsPackedStep>(w, px, py, pool); break;
                case GgmlType.Q6_K when vnni: RunSuperBlocks<PackedQ6_K, VnniPackedStep>(w, px, py, pool); break;
                case GgmlType.Q6_K: RunSuperBlocks<PackedQ6_K, MaddubsPackedStep>(w, px, py, pool); break;
                default: throw new InvalidOperationException($"a packed copy of a {w.Type} matrix cannot exist");
            }
        }
        return true;
    }

    /// <summary>
    /// y = each part's W·x in turn through the AVX-512 pair kernel of their type (parts[0]'s rows first), in one pool call
    /// with one preparation of x: the parts must be packed, of one type and width. False when the type has no pair kernel.
    /// </summary>
    private static bool TryRunPairs(ReadOnlySpan<WeightMatrix> parts, float* x, float* y, ComputePool pool)
    {
        var w = parts[0];
        switch (w.Type)
        {
            case GgmlType.Q4_0: RunPairs<PairQ4_0Sum>(parts, x, y, pool); return true;
            case GgmlType.Q4_1: RunPairs<PairWithMinimums<PairQ4_0Sum>>(parts, x, y, pool); return true;
            case GgmlType.Q5_0: RunPairs<PairQ5_0Sum>(parts, x, y, pool); return true;
            case GgmlType.Q5_1: RunPairs<PairWithMinimums<PairQ5_0Sum>>(parts, x, y, pool); return true;
            case GgmlType.Q8_0: RunPairs<PairQ8_0Sum>(parts, x, y, pool); return true;
            case GgmlType.Q2_K: RunPairKernel(parts, new PackedQ2_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(x, SuperBlocks(w)) }, y, pool); return true;
            case GgmlType.Q3_K: RunPairKernel(parts, new PackedQ3_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(x, SuperBlocks(w)) }, y, pool); return true;
            case GgmlType.Q4_K: RunPairKernel(parts, new PackedQ4_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(x, SuperBlocks(w)) }, y, pool); return true;
            case GgmlType.Q5_K: RunPairKernel(parts, new PackedQ5_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(x, SuperBlocks(w)) }, y, pool); return true;
            case GgmlType.Q6_K: RunPairKernel(parts, new PackedQ6_KPairKernel { SuperBlocks = SuperBlocks(w), A = PackedKActivations.Prepare(x, SuperBlocks(w)) }, y, pool); return true;
            default: return false;
        }
    }

    /// <summary>
    /// Decode of a stack of packed matrices (up to <see cref="PackedPairStack.MaxParts"/>) of one type and width:
    /// y = each part's W·x in turn, one pool call and one preparation of x for all of them, each row the bits of a call of
    /// its own. False where the parts or the path do not allow it (the caller then multiplies part by part).
    /// </summary>
    public static bool TryMultiplyStack(ReadOnlySpan<WeightMatrix> parts, ReadOnlySpan<float> x, Span<float> y, ComputePool pool, IsaPath path)
    {
        if (parts.Length > PackedPairStack.MaxParts || !PackedPair.IsUsable(path))
            return false;
        foreach (var part in parts)
        {
            if (!part.Packed.IsPresent || part.Type != parts[0].Type || part.Columns != parts[0].Columns)
                return false;
        }
        fixed (float* px = x)
        fixed (float* py = y)
            return TryRunPairs(parts, px, py, pool);
    }

    private static void RunPairs<TSum>(ReadOnlySpan<WeightMatrix> parts, float* x, float* y, ComputePool pool) where TSum : struct, IPairBlockSum
    {
        int blocks = parts[0].Columns / PackedLayout.BlockColumns;
        RunPairKernel(parts, new PackedPairKernel<TSum> { Blocks = blocks, A = PackedActivations.Prepare(x, 1, blocks, TSum.ZeroPoint, TSum.HasMinimum, pool) }, y, pool);
    }

    /// <summary>
    /// Packed K-quants have decode kernels only. A few tokens (an expert's share of a short prompt) go one by one through
    /// the decode kernel, where the prefill kernels would first write rows back from the copy for little reuse
    /// (<see cref="Ops.QuantGemm.KQuantGemm.ReadsPackedRows"/>). False leaves a larger batch to those kernels. (Q2_K and
    /// Q3_K took every token through the decode kernel until session 15, when they had no prefill kernel of their own:
    /// on an AVX2-only Zen 3 tinyllama-1.1b's Q2_K and Q3_K_M mixes then prefilled at about half the rate of its
    /// Q4_K_M, barely ahead of llama.cpp; see docs/performance-log.md.)
    /// </summary>
    private static bool TokenByToken(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
    {
        if (tokens > TokenByTokenLimit)
            return false;
        // One token passes the checks this call already passed, so each runs the decode kernel.
        for (int t = 0; t < tokens; t++)
        {
            if (!TryMultiply(w, x.Slice(t * w.Columns, w.Columns), y.Slice(t * w.Rows, w.Rows), 1, pool, path))
                throw new InvalidOperationException($"the packed {w.Type} decode kernel declined a token it was chosen for");
        }
        return true;
    }

    /// <summary>Tokens up to which K-quant prefill runs the decode kernel token by token.</summary>
    public const int TokenByTokenLimit = 4;

    private static int SuperBlocks(in WeightMatrix w) => w.Columns / PackedKActivations.SuperBlockColumns;

    private static void RunPairKernel<TKernel>(ReadOnlySpan<WeightMatrix> parts, TKernel kernel, float* y, ComputePool pool) where TKernel : struct, IPackedPairKernel
    {
        if (parts.Length == 1)
        {
            var w = parts[0];
            var job = new PackedPairMatVec<TKernel> { View = w.Packed, Rows = w.Rows, Kernel = kernel, Y = y };
            pool.ForBalanced(PackedPairMatVec<TKernel>.PairCount(w.Packed, w.Rows), ref job, 1, w.Packed.GroupCount(w.Rows) * w.Packed.GroupBytes);
            return;
        }
        var stack = PackedPairStack<TKernel>.Create(parts, kernel, y, out long workBytes);
        pool.ForBalanced(stack.PairCount, ref stack, 1, workBytes);
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

    private static void Run<TFormat, TStep>(in WeightMatrix w, float* x, float* y, int tokens, ComputePool pool, IsaPath path)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
    {
        if (tokens > 1)
        {
            bool widePairs = PackedPair.IsUsable(path) && typeof(TStep) != typeof(VnniPackedStep) && PackedPairPrefill.Handles<TFormat>();
            PackedMatMul<TFormat, TStep>.Multiply(w, x, y, tokens, pool, widePairs);
            return;
        }
        int blocks = w.Columns / PackedLayout.BlockColumns;
        var activations = PackedActivations.Prepare(x, tokens, blocks, TStep.UsesZeroPoint ? TFormat.ZeroPoint : 0, TFormat.HasMinimum, pool);
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
