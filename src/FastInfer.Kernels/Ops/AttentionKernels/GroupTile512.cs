using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;
using FastInfer.Kernels.Ops.FloatGemm;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// Decode attention on AVX-512 for up to four query heads that share a KV head, against a tile of up to 16 consecutive
/// cached rows read in place (no copy): each K vector is loaded (and, for F16, widened) once and multiplied into every
/// head's accumulator; the 16 positions' dot products are then summed across lanes together (a transpose-add tree, not
/// 16 horizontal sums), so the softmax step works on one vector of 16 scores per head; and each V vector is loaded once
/// and added into every head's output, which stays in registers over the tile. Every output is the same chain of FMAs
/// whichever thread runs the tile, so results do not depend on the thread count.
/// </summary>
internal readonly unsafe struct GroupTile512 : IGroupTile
{
    public const int Positions = 16, MaxHeads = 4;

    /// <summary>Floats of per-thread scratch <see cref="Attend{TKv, THeads}"/> needs: per head 16 dot-product vectors, 16 weights and
    /// the factor its output is rescaled by.</summary>
    public const int ScratchFloats = MaxHeads * Positions * (16 + 1) + 16;

    static int IGroupTile.Positions => Positions;
    static int IGroupTile.MaxHeads => MaxHeads;
    static int IGroupTile.ScratchFloats => ScratchFloats;

    // The AVX-512 path implies AVX-512F where KernelIsa chose it; elsewhere (tests) its shuffles are emulated (Avx512Ops).
    public static bool Fits(int headDim, IsaPath path) => path >= IsaPath.Avx512 && headDim % 16 == 0;

    public static float Total(float* sums) => Vector512.Sum(Vector512.Load(sums));

    /// <inheritdoc cref="IGroupTile.Attend{TKv, THeads}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend<TKv, THeads>(float* q, byte* keys, byte* values, long rowBytes, int count, int headDim, float scale,
        float* state, int stateStride, int maxOffset, float* scratch, long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount
    {
        var dots = (Vector512<float>*)scratch;
        float* weights = scratch + MaxHeads * Positions * 16, corrections = weights + MaxHeads * Positions;
        Scores<TKv, THeads>(q, keys, values, rowBytes, count, headDim, dots, prefetchAhead);
        for (int r = 0; r < THeads.Count; r++)
            corrections[r] = Softmax(dots + r * Positions, count, scale, state + r * stateStride + maxOffset, TKv.ShortfallScale, weights + r * Positions);
        for (int c0 = 0; c0 < headDim; c0 += 64)
        {
            switch (Math.Min(4, (headDim - c0) / 16))
            {
                case 4: Accumulate<TKv, THeads, FourVectors>(values, rowBytes, count, c0, weights, corrections, state, stateStride, prefetchAhead); break;
                case 3: Accumulate<TKv, THeads, ThreeVectors>(values, rowBytes, count, c0, weights, corrections, state, stateStride, prefetchAhead); break;
                case 2: Accumulate<TKv, THeads, TwoVectors>(values, rowBytes, count, c0, weights, corrections, state, stateStride, prefetchAhead); break;
                default: Accumulate<TKv, THeads, OneVector>(values, rowBytes, count, c0, weights, corrections, state, stateStride, prefetchAhead); break;
            }
        }
    }

    /// <summary>dots[r·16 + t] = per-lane partial sums of q_r · k_t (rows past <paramref name="count"/> are zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores<TKv, THeads>(float* q, byte* keys, byte* values, long rowBytes, int count, int headDim, Vector512<float>* dots,
        long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount
    {
        int t = 0;
        // Four rows at a time: sixteen independent FMA chains keep both FMA pipes busy, and each query vector loaded
        // serves four rows.
        for (; t + 4 <= count; t += 4)
        {
            for (int u = t; u < t + 4; u++)
                PrefetchKeys<TKv>(keys, rowBytes, u, headDim, prefetchAhead);
            ScoreRows<TKv, THeads, FourRows>(q, keys + t * rowBytes, rowBytes, headDim, dots + t);
        }
        for (; t < count; t++)
        {
            PrefetchKeys<TKv>(keys, rowBytes, t, headDim, prefetchAhead);
            ScoreRows<TKv, THeads, OneRow>(q, keys + t * rowBytes, rowBytes, headDim, dots + t);
        }
        for (; t < Positions; t++)
            for (int r = 0; r < THeads.Count; r++)
                dots[r * Positions + t] = Vector512<float>.Zero;
    }

    /// <summary>
    /// The K row the caller reads next, as many lines as this row holds, while this row is scored; the V rows follow in
    /// <see cref="Accumulate"/>. Spread out like this, the prefetches never outnumber the misses the core can track (a
    /// burst of them is dropped), and the requests for the next tile go out through the whole of this one rather than
    /// all during the scores: in `bench-kernels` runs alternated with the build that asked for K and V here (two threads,
    /// 32 heads over 8 KV heads of 128, 4096 positions), decode attention took 828–895 µs instead of 988–1308 with an F32
    /// cache and 524–623 µs instead of 602–666 with an F16 one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchKeys<TKv>(byte* keys, long rowBytes, int t, int headDim, long prefetchAhead) where TKv : IKvRow
    {
        byte* next = keys + t * rowBytes + prefetchAhead;
        for (int line = 0; line < headDim * TKv.ElementBytes; line += 64)
            KvPrefetch.Line(next + line);
    }

    /// <summary>dots[r·16 + t] for rows t = 0 (to 3) at <paramref name="keys"/>: each K vector loaded once for every head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreRows<TKv, THeads, TRows>(float* q, byte* keys, long rowBytes, int headDim, Vector512<float>* dots)
        where TKv : IKvRow where THeads : IFixedCount where TRows : IFixedCount
    {
        float* q0 = q, q1 = q0 + headDim, q2 = q1 + headDim, q3 = q2 + headDim;
        // a·: row 0, b·: row 1, c·: row 2, e·: row 3; the digit is the head.
        var a0 = Vector512<float>.Zero;
        Vector512<float> a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        Vector512<float> c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        for (int i = 0; i < headDim; i += 16)
        {
            var k0 = TKv.LoadScaled(keys, i);
            var k1 = TRows.Count > 1 ? TKv.LoadScaled(keys + rowBytes, i) : default;
            var k2 = TRows.Count > 2 ? TKv.LoadScaled(keys + 2 * rowBytes, i) : default;
            var k3 = TRows.Count > 3 ? TKv.LoadScaled(keys + 3 * rowBytes, i) : default;
            MultiplyAdd(q0 + i, k0, k1, k2, k3, ref a0, ref b0, ref c0, ref e0);
            if (THeads.Count > 1)
                MultiplyAdd(q1 + i, k0, k1, k2, k3, ref a1, ref b1, ref c1, ref e1);
            if (THeads.Count > 2)
                MultiplyAdd(q2 + i, k0, k1, k2, k3, ref a2, ref b2, ref c2, ref e2);
            if (THeads.Count > 3)
                MultiplyAdd(q3 + i, k0, k1, k2, k3, ref a3, ref b3, ref c3, ref e3);
        }
        Store(dots, a0, b0, c0, e0);
        if (THeads.Count > 1)
            Store(dots + Positions, a1, b1, c1, e1);
        if (THeads.Count > 2)
            Store(dots + 2 * Positions, a2, b2, c2, e2);
        if (THeads.Count > 3)
            Store(dots + 3 * Positions, a3, b3, c3, e3);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void MultiplyAdd(float* q, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3,
            ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> e)
            => MultiplyAddEach(TRows.Count, Vector512.Load(q), k0, k1, k2, k3, ref a, ref b, ref c, ref e);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(Vector512<float>* dots, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> e)
        {
            dots[0] = a;
            if (TRows.Count > 1)
                dots[1] = b;
            if (TRows.Count > 2)
                dots[2] = c;
            if (TRows.Count > 3)
                dots[3] = e;
        }
    }

    /// <summary>
    /// One head's 16 scores into weights exp(score − max) (times <paramref name="shortfall"/>, which the V rows lack) after
    /// raising the running max to the tile's largest score; returns the factor exp(old max − new max) that rescales what
    /// was accumulated before (the running sums here, the output in <see cref="Accumulate"/>). Without a branch: whether
    /// the max rises is a coin toss early in every block, and the factor is exactly 1 when it does not.
    /// </summary>
    private static float Softmax(Vector512<float>* dots, int count, float scale, float* state, float shortfall, float* weights)
    {
        var scores = TransposeSum16(dots) * Vector512.Create(scale);
        if (count < Positions)
            scores = Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(),
                scores, Vector512.Create(float.NegativeInfinity));
        float max = state[0];
        float raised = Vector128.MaxNative(Vector128.CreateScalarUnsafe(HorizontalMax(scores)), Vector128.CreateScalarUnsafe(max)).ToScalar();
        var correction = FastExp.Exp(Vector512.Create(max - raised));
        state[0] = raised;
        var exponentials = FastExp.Exp(scores - Vector512.Create(raised));
        float* sums = state + IGroupTile.SumsOffset;
        Vector512.FusedMultiplyAdd(Vector512.Load(sums), correction, exponentials).Store(sums);
        (exponentials * Vector512.Create(shortfall)).Store(weights);
        return correction.ToScalar();
    }

    /// <summary>o_r[column, column + 16·V) = corrections[r] · o_r + Σ_t weights[r·16 + t] · v_t, each output vector in a register over the tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<TKv, THeads, TVectors>(byte* values, long rowBytes, int count, int column, float* weights, float* corrections,
        float* state, int stateStride, long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount where TVectors : ITileVectors
    {
        float* o0 = state + column, o1 = o0 + stateStride, o2 = o1 + stateStride, o3 = o2 + stateStride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Load(o0, corrections[0], ref a00, ref a01, ref a02, ref a03);
        if (THeads.Count > 1)
            Load(o1, corrections[1], ref a10, ref a11, ref a12, ref a13);
        if (THeads.Count > 2)
            Load(o2, corrections[2], ref a20, ref a21, ref a22, ref a23);
        if (THeads.Count > 3)
            Load(o3, corrections[3], ref a30, ref a31, ref a32, ref a33);
        for (int t = 0; t < count; t++)
        {
            byte* row = values + t * rowBytes;
            // The lines of this row's columns in the V rows read next (the passes over the columns cover the whole row).
            byte* next = row + prefetchAhead + column * TKv.ElementBytes;
            for (int line = 0; line < TVectors.Count * 16 * TKv.ElementBytes; line += 64)
                KvPrefetch.Line(next + line);
            var v0 = TKv.LoadScaled(row, column);
            var v1 = TVectors.Count > 1 ? TKv.LoadScaled(row, column + 16) : default;
            var v2 = TVectors.Count > 2 ? TKv.LoadScaled(row, column + 32) : default;
            var v3 = TVectors.Count > 3 ? TKv.LoadScaled(row, column + 48) : default;
            AddScaled(Vector512.Create(weights[t]), v0, v1, v2, v3, ref a00, ref a01, ref a02, ref a03);
            if (THeads.Count > 1)
                AddScaled(Vector512.Create(weights[Positions + t]), v0, v1, v2, v3, ref a10, ref a11, ref a12, ref a13);
            if (THeads.Count > 2)
                AddScaled(Vector512.Create(weights[2 * Positions + t]), v0, v1, v2, v3, ref a20, ref a21, ref a22, ref a23);
            if (THeads.Count > 3)
                AddScaled(Vector512.Create(weights[3 * Positions + t]), v0, v1, v2, v3, ref a30, ref a31, ref a32, ref a33);
        }
        Store(o0, a00, a01, a02, a03);
        if (THeads.Count > 1)
            Store(o1, a10, a11, a12, a13);
        if (THeads.Count > 2)
            Store(o2, a20, a21, a22, a23);
        if (THeads.Count > 3)
            Store(o3, a30, a31, a32, a33);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Load(float* o, float correction, ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
        {
            var factor = Vector512.Create(correction);
            a0 = Vector512.Load(o) * factor;
            if (TVectors.Count > 1)
                a1 = Vector512.Load(o + 16) * factor;
            if (TVectors.Count > 2)
                a2 = Vector512.Load(o + 32) * factor;
            if (TVectors.Count > 3)
                a3 = Vector512.Load(o + 48) * factor;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void AddScaled(Vector512<float> w, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
            ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
            => MultiplyAddEach(TVectors.Count, w, v0, v1, v2, v3, ref a0, ref a1, ref a2, ref a3);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(float* o, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
        {
            a0.Store(o);
            if (TVectors.Count > 1)
                a1.Store(o + 16);
            if (TVectors.Count > 2)
                a2.Store(o + 32);
            if (TVectors.Count > 3)
                a3.Store(o + 48);
        }
    }

    /// <summary>a_i += x · y_i for i below <paramref name="count"/> (a constant once inlined, so the other branches vanish).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddEach(int count, Vector512<float> x, Vector512<float> y0, Vector512<float> y1, Vector512<float> y2, Vector512<float> y3,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
    {
        a0 = Vector512.FusedMultiplyAdd(x, y0, a0);
        if (count > 1)
            a1 = Vector512.FusedMultiplyAdd(x, y1, a1);
        if (count > 2)
            a2 = Vector512.FusedMultiplyAdd(x, y2, a2);
        if (count > 3)
            a3 = Vector512.FusedMultiplyAdd(x, y3, a3);
    }

    /// <summary>Lane t of the result = the sum of the 16 lanes of v[t]: pairs of vectors are interleaved and added, halving the
    /// lanes each holds per vector, four times.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TransposeSum16(Vector512<float>* v)
    {
        // Within each 128-bit quarter: after Pairs, [v0 (e0+e2), v1 (e0+e2), v0 (e1+e3), v1 (e1+e3)]; after Quads, [v0, v1, v2, v3].
        var y0 = Quads(Pairs(v[0], v[1]), Pairs(v[2], v[3]));
        var y1 = Quads(Pairs(v[4], v[5]), Pairs(v[6], v[7]));
        var y2 = Quads(Pairs(v[8], v[9]), Pairs(v[10], v[11]));
        var y3 = Quads(Pairs(v[12], v[13]), Pairs(v[14], v[15]));
        // Then across quarters: [y0 q0+q1, y0 q2+q3, y1 q0+q1, y1 q2+q3], and once more to whole sums in position order.
        return Quarters(Quarters(y0, y1), Quarters(y2, y3));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Pairs(Vector512<float> a, Vector512<float> b) => Avx512Ops.UnpackLow(a, b) + Avx512Ops.UnpackHigh(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Quads(Vector512<float> a, Vector512<float> b)
            => Avx512Ops.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle() + Avx512Ops.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b)
            => Avx512Ops.Shuffle4x128(a, b, 0b10_00_10_00) + Avx512Ops.Shuffle4x128(a, b, 0b11_01_11_01);
    }

    /// <summary>The largest lane (a NaN lane may be skipped: it makes its weight, and so the output, NaN anyway).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector512<float> v)
    {
        var half = Vector256.MaxNative(v.GetLower(), v.GetUpper());
        var quarter = Vector128.MaxNative(half.GetLower(), half.GetUpper());
        quarter = Vector128.MaxNative(quarter, Sse.Shuffle(quarter, quarter, 0b01_00_11_10));
        return Vector128.MaxNative(quarter, Sse.Shuffle(quarter, quarter, 0b10_11_00_01)).ToScalar();
    }
}
