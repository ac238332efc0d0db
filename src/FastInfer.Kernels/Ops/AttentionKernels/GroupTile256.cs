using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Decode attention on AVX2 for up to four query heads that share a KV head, against a tile of up to 16 consecutive
/// cached rows read in place (no copy): <see cref="GroupTile512"/>'s scheme in 256-bit registers. Both halves of the
/// work run through one register block of eight accumulators, heads × slots: every head's multiplier (its query
/// vector when scoring, its weight for a row when accumulating V) meets each slot's vector (a K row's vector, or one
/// vector of a V row's columns), which is loaded, and for F16 widened, once for all the heads. The positions' dot
/// products are summed across lanes eight at a time (a transpose-add tree, not a horizontal sum each), so the softmax
/// step works on two vectors of scores per head, and each output vector stays in a register over the tile. Every output
/// is the same chain of FMAs whichever thread runs the tile, so results do not depend on the thread count.
/// </summary>
/// <remarks>
/// A sibling of <see cref="GroupTile512"/> rather than one kernel generic over the width: with 16 registers instead of 32
/// the blocking is not the same (the 512-bit kernel keeps 4 rows × 4 heads of dot products and 4 vectors × 4 heads of
/// output in registers; here 8 accumulators fit beside the heads' multipliers and the vector loaded, so the slots per
/// head shrink as the heads grow), and the machine this was written on has no AVX-512 to show that a shared skeleton
/// would leave the 512-bit kernel as fast as it is.
/// </remarks>
internal readonly unsafe struct GroupTile256 : IGroupTile
{
    public const int Positions = 16, MaxHeads = 4;

    /// <summary>Accumulators of the register block: with the heads' multipliers and the loaded vector, at most 13 of 16 registers.</summary>
    private const int Accumulators = 8;

    /// <summary>Floats of per-thread scratch <see cref="Attend{TKv, THeads}"/> needs: per head 16 dot-product vectors of 8 lanes,
    /// 16 weights and the factor its output is rescaled by.</summary>
    public const int ScratchFloats = MaxHeads * Positions * (8 + 1) + 8;

    static int IGroupTile.Positions => Positions;
    static int IGroupTile.MaxHeads => MaxHeads;
    static int IGroupTile.ScratchFloats => ScratchFloats;

    public static bool Fits(int headDim, IsaPath path) => path == IsaPath.Avx2 && headDim % 8 == 0 && Avx2.IsSupported && Fma.IsSupported;

    public static float Total(float* sums) => Vector256.Sum(Vector256.Load(sums));

    /// <summary>Slots the block gives each of the heads: 8, 4, 2, 2 for one to four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MostSlots<THeads>() where THeads : IFixedCount => Accumulators / THeads.Count;

    /// <inheritdoc cref="IGroupTile.Attend{TKv, THeads}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend<TKv, THeads>(float* q, byte* keys, byte* values, long rowBytes, int count, int headDim, float scale,
        float* state, int stateStride, int maxOffset, float* scratch, long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount
    {
        var dots = (Vector256<float>*)scratch;
        float* weights = scratch + MaxHeads * Positions * 8, corrections = weights + MaxHeads * Positions;
        Scores<TKv, THeads>(q, keys, rowBytes, count, headDim, dots, prefetchAhead);
        for (int r = 0; r < THeads.Count; r++)
            corrections[r] = Softmax(dots + r * Positions, count, scale, state + r * stateStride + maxOffset, TKv.ShortfallScale, weights + r * Positions);
        // Columns in passes of as many vectors as the block holds per head (fewer at the end of the row).
        for (int column = 0; column < headDim;)
        {
            int left = (headDim - column) / 8;
            if (MostSlots<THeads>() >= 8 && left >= 8)
                column += Accumulate<TKv, THeads, EightSlots>(values, rowBytes, count, column, weights, corrections, state, stateStride, prefetchAhead);
            else if (MostSlots<THeads>() >= 4 && left >= 4)
                column += Accumulate<TKv, THeads, FourSlots>(values, rowBytes, count, column, weights, corrections, state, stateStride, prefetchAhead);
            else if (left >= 2)
                column += Accumulate<TKv, THeads, TwoSlots>(values, rowBytes, count, column, weights, corrections, state, stateStride, prefetchAhead);
            else
                column += Accumulate<TKv, THeads, OneSlot>(values, rowBytes, count, column, weights, corrections, state, stateStride, prefetchAhead);
        }
    }

    /// <summary>dots[h·16 + t] = per-lane partial sums of q_h · k_t (rows past <paramref name="count"/> are zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores<TKv, THeads>(float* q, byte* keys, long rowBytes, int count, int headDim, Vector256<float>* dots,
        long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount
    {
        int t = 0;
        while (t < count)
        {
            int left = count - t;
            if (MostSlots<THeads>() >= 8 && left >= 8)
                t += ScoreRows<TKv, THeads, EightSlots>(q, keys, rowBytes, t, headDim, dots, prefetchAhead);
            else if (MostSlots<THeads>() >= 4 && left >= 4)
                t += ScoreRows<TKv, THeads, FourSlots>(q, keys, rowBytes, t, headDim, dots, prefetchAhead);
            else if (left >= 2)
                t += ScoreRows<TKv, THeads, TwoSlots>(q, keys, rowBytes, t, headDim, dots, prefetchAhead);
            else
                t += ScoreRows<TKv, THeads, OneSlot>(q, keys, rowBytes, t, headDim, dots, prefetchAhead);
        }
        for (; t < Positions; t++)
            for (int r = 0; r < THeads.Count; r++)
                dots[r * Positions + t] = Vector256<float>.Zero;
    }

    /// <summary>
    /// Rows t onward, as many as <typeparamref name="TSlots"/> counts, while the K rows the caller reads next are asked for
    /// row by row (spread over the tile, as <see cref="GroupTile512"/> does, so the requests never pile up).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ScoreRows<TKv, THeads, TSlots>(float* q, byte* keys, long rowBytes, int t, int headDim, Vector256<float>* dots,
        long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount where TSlots : IFixedCount
    {
        for (int u = t; u < t + TSlots.Count; u++)
        {
            byte* next = keys + u * rowBytes + prefetchAhead;
            for (byte* line = next; line < next + headDim * TKv.ElementBytes; line += 64)
                KvPrefetch.Line(line);
        }
        ScoreBlock<TKv, THeads, TSlots>(q, keys + t * rowBytes, rowBytes, headDim, dots + t);
        return TSlots.Count;
    }

    /// <summary>dots[h·16 + j] for the rows j at <paramref name="keys"/>: each K vector loaded once for every head.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ScoreBlock<TKv, THeads, TSlots>(float* q, byte* keys, long rowBytes, int headDim, Vector256<float>* dots)
        where TKv : IKvRow where THeads : IFixedCount where TSlots : IFixedCount
    {
        float* q0 = q, q1 = q0 + headDim, q2 = q1 + headDim, q3 = q2 + headDim;
        var s0 = Vector256<float>.Zero;
        Vector256<float> s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int i = 0; i < headDim; i += 8)
        {
            var m0 = Vector256.Load(q0 + i);
            var m1 = THeads.Count > 1 ? Vector256.Load(q1 + i) : default;
            var m2 = THeads.Count > 2 ? Vector256.Load(q2 + i) : default;
            var m3 = THeads.Count > 3 ? Vector256.Load(q3 + i) : default;
            MultiplyAdd<TKv, THeads, TSlots>(keys, i, rowBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        }
        Store<THeads, TSlots>((float*)dots, Positions * 8, s0, s1, s2, s3, s4, s5, s6, s7);
    }

    /// <summary>
    /// One head's 16 scores (two vectors of 8 positions) into weights exp(score − max) (times <paramref name="shortfall"/>,
    /// which the V rows lack) after raising the running max to the tile's largest score; returns the factor
    /// exp(old max − new max) that rescales what was accumulated before. Without a branch, as in
    /// <see cref="GroupTile512"/>: the factor is exactly 1 when the max stays.
    /// </summary>
    private static float Softmax(Vector256<float>* dots, int count, float scale, float* state, float shortfall, float* weights)
    {
        var first = TransposeSum8(dots) * Vector256.Create(scale);
        var second = TransposeSum8(dots + 8) * Vector256.Create(scale);
        if (count < Positions)
        {
            var limit = Vector256.Create(count);
            var none = Vector256.Create(float.NegativeInfinity);
            first = Vector256.ConditionalSelect(Vector256.LessThan(Vector256<int>.Indices, limit).AsSingle(), first, none);
            second = Vector256.ConditionalSelect(Vector256.LessThan(Vector256<int>.Indices + Vector256.Create(8), limit).AsSingle(), second, none);
        }
        float max = state[0];
        float tileMax = HorizontalMax(Vector256.MaxNative(first, second));
        float raised = Vector128.MaxNative(Vector128.CreateScalarUnsafe(tileMax), Vector128.CreateScalarUnsafe(max)).ToScalar();
        var correction = FastExp.Exp(Vector256.Create(max - raised));
        state[0] = raised;
        var firstWeights = FastExp.Exp(first - Vector256.Create(raised));
        var secondWeights = FastExp.Exp(second - Vector256.Create(raised));
        float* sums = state + IGroupTile.SumsOffset;
        (Vector256.FusedMultiplyAdd(Vector256.Load(sums), correction, firstWeights) + secondWeights).Store(sums);
        (firstWeights * Vector256.Create(shortfall)).Store(weights);
        (secondWeights * Vector256.Create(shortfall)).Store(weights + 8);
        return correction.ToScalar();
    }

    /// <summary>
    /// o_h[column, column + 8·slots) = corrections[h] · o_h + Σ_t weights[h·16 + t] · v_t, each output vector in a register
    /// over the tile, while the lines of these columns in the V rows read next are asked for; returns the columns done.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Accumulate<TKv, THeads, TSlots>(byte* values, long rowBytes, int count, int column, float* weights, float* corrections,
        float* state, int stateStride, long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount where TSlots : IFixedCount
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Load<THeads, TSlots>(state + column, stateStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        // The lines of this pass's columns in the row read next: a fixed count, so no loop per row (a line shared by two
        // passes of 32 bytes is asked for twice, which costs less than deciding).
        int passBytes = TSlots.Count * 8 * TKv.ElementBytes;
        byte* row = values, fetch = values + prefetchAhead + ((column * TKv.ElementBytes) & ~63);
        for (float* w = weights; w < weights + count; w++, row += rowBytes, fetch += rowBytes)
        {
            KvPrefetch.Line(fetch);
            if (passBytes > 64)
                KvPrefetch.Line(fetch + 64);
            if (passBytes > 128)
            {
                KvPrefetch.Line(fetch + 128);
                KvPrefetch.Line(fetch + 192);
            }
            var m0 = Vector256.Create(w[0]);
            var m1 = THeads.Count > 1 ? Vector256.Create(w[Positions]) : default;
            var m2 = THeads.Count > 2 ? Vector256.Create(w[2 * Positions]) : default;
            var m3 = THeads.Count > 3 ? Vector256.Create(w[3 * Positions]) : default;
            MultiplyAdd<TKv, THeads, TSlots>(row, column, 8 * TKv.ElementBytes, m0, m1, m2, m3,
                ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        }
        Store<THeads, TSlots>(state + column, stateStride, s0, s1, s2, s3, s4, s5, s6, s7);
        return TSlots.Count * 8;
    }

    // The register block. Slot j of head h is accumulator j·heads + h, named by a constant once inlined so that the
    // accumulators stay in registers; slots and heads are spelled out because the JIT does not unroll loops over them.

    /// <summary>
    /// The block's step: for each slot j, the vector at element <paramref name="element"/> of <paramref name="x"/> +
    /// j·<paramref name="slotBytes"/>, loaded once, times each head h's multiplier m_h, into accumulator j·heads + h.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd<TKv, THeads, TSlots>(byte* x, int element, long slotBytes,
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3,
        ref Vector256<float> s4, ref Vector256<float> s5, ref Vector256<float> s6, ref Vector256<float> s7)
        where TKv : IKvRow where THeads : IFixedCount where TSlots : IFixedCount
    {
        MultiplyAddSlot<TKv, THeads>(0, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (TSlots.Count > 1)
            MultiplyAddSlot<TKv, THeads>(1, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (TSlots.Count > 2)
        {
            MultiplyAddSlot<TKv, THeads>(2, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            MultiplyAddSlot<TKv, THeads>(3, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        }
        if (TSlots.Count > 4)
        {
            MultiplyAddSlot<TKv, THeads>(4, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            MultiplyAddSlot<TKv, THeads>(5, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            MultiplyAddSlot<TKv, THeads>(6, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            MultiplyAddSlot<TKv, THeads>(7, x, element, slotBytes, m0, m1, m2, m3, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddSlot<TKv, THeads>(int j, byte* x, int element, long slotBytes,
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3,
        ref Vector256<float> s4, ref Vector256<float> s5, ref Vector256<float> s6, ref Vector256<float> s7)
        where TKv : IKvRow where THeads : IFixedCount
    {
        var v = TKv.LoadScaled256(x + j * slotBytes, element);
        int at = j * THeads.Count;
        MultiplyAddInto(at, m0, v, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (THeads.Count > 1)
            MultiplyAddInto(at + 1, m1, v, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (THeads.Count > 2)
            MultiplyAddInto(at + 2, m2, v, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (THeads.Count > 3)
            MultiplyAddInto(at + 3, m3, v, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
    }

    /// <summary>Accumulator <paramref name="index"/> += m · v, written as one statement per accumulator so that the JIT
    /// adds into the accumulator's register (vfmadd231ps) instead of into m's or v's and copying back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddInto(int index, Vector256<float> m, Vector256<float> v,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3,
        ref Vector256<float> s4, ref Vector256<float> s5, ref Vector256<float> s6, ref Vector256<float> s7)
    {
        switch (index)
        {
            case 0: s0 = Vector256.FusedMultiplyAdd(m, v, s0); break;
            case 1: s1 = Vector256.FusedMultiplyAdd(m, v, s1); break;
            case 2: s2 = Vector256.FusedMultiplyAdd(m, v, s2); break;
            case 3: s3 = Vector256.FusedMultiplyAdd(m, v, s3); break;
            case 4: s4 = Vector256.FusedMultiplyAdd(m, v, s4); break;
            case 5: s5 = Vector256.FusedMultiplyAdd(m, v, s5); break;
            case 6: s6 = Vector256.FusedMultiplyAdd(m, v, s6); break;
            default: s7 = Vector256.FusedMultiplyAdd(m, v, s7); break;
        }
    }

    /// <summary>Accumulator j·heads + h = the 8 floats at <paramref name="at"/> + h·<paramref name="headStride"/> + 8j, times corrections[h].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load<THeads, TSlots>(float* at, long headStride, float* corrections,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3,
        ref Vector256<float> s4, ref Vector256<float> s5, ref Vector256<float> s6, ref Vector256<float> s7)
        where THeads : IFixedCount where TSlots : IFixedCount
    {
        LoadSlot<THeads>(0, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (TSlots.Count > 1)
            LoadSlot<THeads>(1, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (TSlots.Count > 2)
        {
            LoadSlot<THeads>(2, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            LoadSlot<THeads>(3, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        }
        if (TSlots.Count > 4)
        {
            LoadSlot<THeads>(4, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            LoadSlot<THeads>(5, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            LoadSlot<THeads>(6, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
            LoadSlot<THeads>(7, at, headStride, corrections, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadSlot<THeads>(int j, float* at, long headStride, float* corrections,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3,
        ref Vector256<float> s4, ref Vector256<float> s5, ref Vector256<float> s6, ref Vector256<float> s7)
        where THeads : IFixedCount
    {
        int index = j * THeads.Count;
        at += 8 * j;
        Set(index, Vector256.Load(at) * Vector256.Create(corrections[0]), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (THeads.Count > 1)
            Set(index + 1, Vector256.Load(at + headStride) * Vector256.Create(corrections[1]), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (THeads.Count > 2)
            Set(index + 2, Vector256.Load(at + 2 * headStride) * Vector256.Create(corrections[2]), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
        if (THeads.Count > 3)
            Set(index + 3, Vector256.Load(at + 3 * headStride) * Vector256.Create(corrections[3]), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5, ref s6, ref s7);
    }

    /// <summary>Accumulator j·heads + h to the 8 floats at <paramref name="at"/> + h·<paramref name="headStride"/> + 8j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<THeads, TSlots>(float* at, long headStride,
        Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
        Vector256<float> s4, Vector256<float> s5, Vector256<float> s6, Vector256<float> s7)
        where THeads : IFixedCount where TSlots : IFixedCount
    {
        StoreSlot<THeads>(0, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
        if (TSlots.Count > 1)
            StoreSlot<THeads>(1, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
        if (TSlots.Count > 2)
        {
            StoreSlot<THeads>(2, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
            StoreSlot<THeads>(3, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
        }
        if (TSlots.Count > 4)
        {
            StoreSlot<THeads>(4, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
            StoreSlot<THeads>(5, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
            StoreSlot<THeads>(6, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
            StoreSlot<THeads>(7, at, headStride, s0, s1, s2, s3, s4, s5, s6, s7);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSlot<THeads>(int j, float* at, long headStride,
        Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
        Vector256<float> s4, Vector256<float> s5, Vector256<float> s6, Vector256<float> s7)
        where THeads : IFixedCount
    {
        int index = j * THeads.Count;
        at += 8 * j;
        Get(index, s0, s1, s2, s3, s4, s5, s6, s7).Store(at);
        if (THeads.Count > 1)
            Get(index + 1, s0, s1, s2, s3, s4, s5, s6, s7).Store(at + headStride);
        if (THeads.Count > 2)
            Get(index + 2, s0, s1, s2, s3, s4, s5, s6, s7).Store(at + 2 * headStride);
        if (THeads.Count > 3)
            Get(index + 3, s0, s1, s2, s3, s4, s5, s6, s7).Store(at + 3 * headStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Get(int index, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
        Vector256<float> s4, Vector256<float> s5, Vector256<float> s6, Vector256<float> s7)
        => index switch { 0 => s0, 1 => s1, 2 => s2, 3 => s3, 4 => s4, 5 => s5, 6 => s6, _ => s7 };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set(int index, Vector256<float> value, ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3,
        ref Vector256<float> s4, ref Vector256<float> s5, ref Vector256<float> s6, ref Vector256<float> s7)
    {
        switch (index)
        {
            case 0: s0 = value; break;
            case 1: s1 = value; break;
            case 2: s2 = value; break;
            case 3: s3 = value; break;
            case 4: s4 = value; break;
            case 5: s5 = value; break;
            case 6: s6 = value; break;
            default: s7 = value; break;
        }
    }

    /// <summary>Lane t of the result = the sum of the 8 lanes of v[t]: pairs of vectors are interleaved and added, halving the
    /// lanes each holds per vector, three times.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TransposeSum8(Vector256<float>* v)
    {
        // Within each 128-bit half: after Pairs, [v0 (e0+e2), v1 (e0+e2), v0 (e1+e3), v1 (e1+e3)]; after Quads, [v0, v1, v2, v3].
        var low = Quads(Pairs(v[0], v[1]), Pairs(v[2], v[3]));
        var high = Quads(Pairs(v[4], v[5]), Pairs(v[6], v[7]));
        // Then across the halves: [low's, high's] lower halves plus their upper halves, whole sums in position order.
        return Avx.Permute2x128(low, high, 0x20) + Avx.Permute2x128(low, high, 0x31);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<float> Pairs(Vector256<float> a, Vector256<float> b) => Avx.UnpackLow(a, b) + Avx.UnpackHigh(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<float> Quads(Vector256<float> a, Vector256<float> b)
            => Avx.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle() + Avx.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
    }

    /// <summary>The largest lane (a NaN lane may be skipped: it makes its weight, and so the output, NaN anyway).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector256<float> v)
    {
        var half = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        half = Vector128.MaxNative(half, Sse.Shuffle(half, half, 0b01_00_11_10));
        return Vector128.MaxNative(half, Sse.Shuffle(half, half, 0b10_11_00_01)).ToScalar();
    }
}
