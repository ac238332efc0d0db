using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Ops.QuantGemm;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Prefill over the packed layout. Per chunk of <see cref="TokenChunk"/> tokens (their prepared activations stay in
/// L2) each thread walks its groups two at a time against tiles of <see cref="PairTile"/> tokens: every activation
/// broadcast feeds both groups, and each block goes in two halves of four weight vectors per group, so the eight
/// int sums stay in the low registers the JIT wants for vpdpbusd's accumulator (with all sixteen vectors unpacked at
/// once it shuffled every sum through a register move; the halves measured ~8% faster). A lone last group runs
/// tiles of <see cref="TokenTile"/> tokens on its own. On the AVX-512 path without vpdpbusd the pairs go to
/// <see cref="PackedPairPrefill"/> instead: 512-bit registers, every token of the chunk against each block of the pair.
/// Every (row, token) is the decode chain, so bits match MatVec, whichever way the work is split.
/// </summary>
internal unsafe struct PackedMatMul<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
{
    private const int TokenChunk = 64, TokenTile = 4, PairTile = 4;

    /// <summary>
    /// Tokens per thread from which the work is split by tokens rather than rows: each thread quantizes the tokens
    /// it takes and multiplies them by every group in the same pool call, where the row split needs every token
    /// prepared before any thread starts — a second pool call and barrier per matrix, which on a small model's prompt
    /// cost about a tenth of the prefill.
    /// </summary>
    private const int TokenSplitFrom = 16;

    /// <summary>
    /// Tokens per work item for a matrix of at most <see cref="SmallMatrixBytes"/>: items are claimed one at a time,
    /// so a thread that loses its core for a while (other processes share this machine) leaves its items to the
    /// others instead of holding every thread at the barrier; small items balance that finely. Such a matrix stays
    /// in the core's L2 (1 MiB on Zen 5) beside the activations, so reading it once per item costs little; a larger
    /// one is read once per <see cref="TokenChunk"/> tokens, as the row split does. (With a 4 MiB limit, 16-token
    /// items made stories110M Q8_0's 1.7 MB feed-forward matrices stream from L3 and its prefill ~4% slower.)
    /// </summary>
    private const int SmallItemTokens = 16;

    private const long SmallMatrixBytes = 512 << 10;

    public PackedView View;
    public int Rows;
    public int Blocks;
    public PackedActivations A;
    public int Tokens;
    public float* Y;
    /// <summary>Set when the work is split by tokens: the raw rows each item prepares its own of.</summary>
    public float* X;
    public int ZeroPoint;
    public int ItemTokens;
    public int* NextItem;
    public bool WidePairs;

    /// <summary>
    /// y (tokens×rows) = x·Wᵀ. <paramref name="widePairs"/> runs pairs of groups through <see cref="PackedPairPrefill"/>
    /// (the AVX-512 path without vpdpbusd), which needs the zero point's correction whatever <typeparamref name="TStep"/>
    /// does; the steps that remove the zero point themselves ignore it.
    /// </summary>
    public static void Multiply(in WeightMatrix w, float* x, float* y, int tokens, ComputePool pool, bool widePairs)
    {
        int blocks = w.Columns / PackedLayout.BlockColumns, groups = w.Packed.GroupCount(w.Rows);
        int zeroPoint = TStep.UsesZeroPoint || widePairs ? TFormat.ZeroPoint : 0;
        var job = new PackedMatMul<TFormat, TStep>
        {
            View = w.Packed, Rows = w.Rows, Blocks = blocks, Tokens = tokens, Y = y, WidePairs = widePairs,
        };
        if (tokens < TokenSplitFrom * pool.ThreadCount)
        {
            job.A = PackedActivations.Prepare(x, tokens, blocks, zeroPoint, TFormat.HasMinimum, pool);
            pool.For(groups, ref job, 1);
            return;
        }
        int nextItem = 0;
        job.A = PackedActivations.Allocate(tokens, blocks, TFormat.HasMinimum);
        job.X = x;
        job.ZeroPoint = zeroPoint;
        job.ItemTokens = groups * w.Packed.GroupBytes <= SmallMatrixBytes ? SmallItemTokens : TokenChunk;
        job.NextItem = &nextItem;
        pool.For(pool.ThreadCount, ref job, 1);
    }

    /// <summary>
    /// Split by rows: groups [start, end) by every token. Split by tokens: this thread claims items until none are
    /// left (start and end only count the threads).
    /// </summary>
    public readonly void Execute(int start, int end)
    {
        if (X == null)
        {
            Run(start, end, 0, Tokens);
            return;
        }
        int groups = View.GroupCount(Rows);
        for (int first = NextTokens(); first < Tokens; first = NextTokens())
        {
            int last = Math.Min(Tokens, first + ItemTokens);
            A.PrepareRange(X, first, last, ZeroPoint);
            Run(0, groups, first, last);
        }
    }

    private readonly int NextTokens() => (Interlocked.Increment(ref *NextItem) - 1) * ItemTokens;

    private readonly void Run(int firstGroup, int endGroup, int firstToken, int endToken)
    {
        for (int c0 = firstToken; c0 < endToken; c0 += TokenChunk)
        {
            int c1 = Math.Min(endToken, c0 + TokenChunk);
            int g = firstGroup;
            for (; g + 2 <= endGroup; g += 2)
            {
                byte* group = (byte*)View.FirstGroup + g * View.GroupBytes;
                int firstRow = g * PackedLayout.GroupRows - View.RowOffset;
                if (WidePairs)
                {
                    PackedPairPrefill.Multiply<TFormat>(group, View.GroupBytes, Blocks, A, c0, c1, Y, firstRow, Rows);
                    continue;
                }
                for (int t = c0; t < c1; t += Math.Min(PairTile, c1 - t))
                    PairTiles(group, firstRow, t, Math.Min(PairTile, c1 - t));
            }
            for (; g < endGroup; g++)
            {
                byte* group = (byte*)View.FirstGroup + g * View.GroupBytes;
                int firstRow = g * PackedLayout.GroupRows - View.RowOffset;
                int t = c0;
                for (; t + TokenTile <= c1; t += TokenTile)
                    Tile(group, firstRow, t);
                for (; t < c1; t++)
                {
                    var lanes = PackedDot.Group<TFormat, TStep>(group, Blocks, A.Quants(t), A.Scales(t), A.Corrections(t), A.MinimumScales(t));
                    PackedDot.Store(lanes, Y + (long)t * Rows, firstRow, Rows);
                }
            }
        }
    }

    /// <summary>Groups g and g+1 against <paramref name="count"/> (1..4) tokens from <paramref name="t"/>.</summary>
    private readonly void PairTiles(byte* group, int firstRow, int t, int count)
    {
        if (typeof(TStep) != typeof(VnniPackedStep))
        {
            QuadPairTiles(group, firstRow, t, count);
            return;
        }
        Vector256<float> fa0 = default, fa1 = default, fa2 = default, fa3 = default;
        Vector256<float> fb0 = default, fb1 = default, fb2 = default, fb3 = default;
        // Both groups have the same layout, so block b lies at the same offset in each.
        long span = View.GroupBytes;
        int t1 = t + Math.Min(1, count - 1), t2 = t + Math.Min(2, count - 1), t3 = t + count - 1;
        byte* q0 = A.Quants(t), q1 = A.Quants(t1), q2 = A.Quants(t2), q3 = A.Quants(t3);
        float* s0 = A.Scales(t), s1 = A.Scales(t1), s2 = A.Scales(t2), s3 = A.Scales(t3);
        int* k0 = A.Corrections(t), k1 = A.Corrections(t1), k2 = A.Corrections(t2), k3 = A.Corrections(t3);
        float* m0 = A.MinimumScales(t), m1 = A.MinimumScales(t1), m2 = A.MinimumScales(t2), m3 = A.MinimumScales(t3);
        for (int b = 0; b < Blocks; b++)
        {
            byte* quants = PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock);
            var sa0 = PackedDot.Start<TStep>(k0 + b); var sb0 = sa0;
            var sa1 = PackedDot.Start<TStep>(k1 + b); var sb1 = sa1;
            var sa2 = PackedDot.Start<TStep>(k2 + b); var sb2 = sa2;
            var sa3 = PackedDot.Start<TStep>(k3 + b); var sb3 = sa3;
            // The halves written out, as the AVX2 tiles' quads are: in a loop over them the JIT shifted Q5's fifth bits by
            // counts computed at run time; with the half a constant, every shift is an immediate.
            int at = b * 32;
            HalfTiles(quants, span, 0, q0 + at, q1 + at, q2 + at, q3 + at, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
            HalfTiles(quants, span, 1, q0 + at, q1 + at, q2 + at, q3 + at, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
            byte* scales = PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock);
            var rowScalesA = PackedScales.Load(scales);
            var rowScalesB = PackedScales.Load(scales + span);
            var minimumsA = TFormat.Minimums(quants);
            var minimumsB = TFormat.Minimums(quants + span);
            fa0 = PackedDot.Scale<TFormat>(sa0, rowScalesA, minimumsA, s0 + b, m0 + b, fa0); fb0 = PackedDot.Scale<TFormat>(sb0, rowScalesB, minimumsB, s0 + b, m0 + b, fb0);
            fa1 = PackedDot.Scale<TFormat>(sa1, rowScalesA, minimumsA, s1 + b, m1 + b, fa1); fb1 = PackedDot.Scale<TFormat>(sb1, rowScalesB, minimumsB, s1 + b, m1 + b, fb1);
            fa2 = PackedDot.Scale<TFormat>(sa2, rowScalesA, minimumsA, s2 + b, m2 + b, fa2); fb2 = PackedDot.Scale<TFormat>(sb2, rowScalesB, minimumsB, s2 + b, m2 + b, fb2);
            fa3 = PackedDot.Scale<TFormat>(sa3, rowScalesA, minimumsA, s3 + b, m3 + b, fa3); fb3 = PackedDot.Scale<TFormat>(sb3, rowScalesB, minimumsB, s3 + b, m3 + b, fb3);
        }
        float* y = Y + (long)t * Rows;
        int secondRow = firstRow + PackedLayout.GroupRows;
        // Fewer than four tokens repeat the last one; its duplicate results are simply not stored.
        PackedDot.Store(fa0, y, firstRow, Rows); PackedDot.Store(fb0, y, secondRow, Rows);
        if (count > 1) { PackedDot.Store(fa1, y + Rows, firstRow, Rows); PackedDot.Store(fb1, y + Rows, secondRow, Rows); }
        if (count > 2) { PackedDot.Store(fa2, y + 2L * Rows, firstRow, Rows); PackedDot.Store(fb2, y + 2L * Rows, secondRow, Rows); }
        if (count > 3) { PackedDot.Store(fa3, y + 3L * Rows, firstRow, Rows); PackedDot.Store(fb3, y + 3L * Rows, secondRow, Rows); }
    }

    /// <summary>Half <paramref name="half"/> of a block of both groups against four tokens' activations (each at its block's start).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HalfTiles(byte* quants, long span, int half, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<int> sa0, ref Vector256<int> sa1, ref Vector256<int> sa2, ref Vector256<int> sa3,
        ref Vector256<int> sb0, ref Vector256<int> sb1, ref Vector256<int> sb2, ref Vector256<int> sb3)
    {
        TFormat.UnpackHalf(quants, half, out var x0, out var x1, out var x2, out var x3);
        TFormat.UnpackHalf(quants + span, half, out var y0, out var y1, out var y2, out var y3);
        int at = half * 16;
        PackedDot.HalfPair<TStep>(x0, x1, x2, x3, y0, y1, y2, y3, a0 + at, ref sa0, ref sb0);
        PackedDot.HalfPair<TStep>(x0, x1, x2, x3, y0, y1, y2, y3, a1 + at, ref sa1, ref sb1);
        PackedDot.HalfPair<TStep>(x0, x1, x2, x3, y0, y1, y2, y3, a2 + at, ref sa2, ref sb2);
        PackedDot.HalfPair<TStep>(x0, x1, x2, x3, y0, y1, y2, y3, a3 + at, ref sa3, ref sb3);
    }

    /// <summary>
    /// <see cref="PairTiles"/> for the AVX2 steps, whose sixteen registers cannot hold eight weight vectors beside eight
    /// int sums and eight float sums (the JIT spilled on every step): a block goes column quad by column quad, two weight
    /// vectors live at a time and made ready once for all four tokens (Q8_0's sign split; the JIT did not share it
    /// between tokens), and the float sums, touched once per block, wait on the stack. Formats whose
    /// <see cref="MaddubsPackedStep.Int16Run"/> is 8 keep the int sums in int16 over the block and widen once; those whose
    /// run is 4 (Q5_0, Q5_1) widen after each half block. The ints are exact and each float chain is
    /// <see cref="PackedDot.Scale{TFormat}"/> per block, so the bits are those of MatVec.
    /// </summary>
    private readonly void QuadPairTiles(byte* group, int firstRow, int t, int count)
    {
        var sums = new EightFloatVectors(); // tokens 0..3 of group A, then of group B
        long span = View.GroupBytes;
        int t1 = t + Math.Min(1, count - 1), t2 = t + Math.Min(2, count - 1), t3 = t + count - 1;
        byte* q0 = A.Quants(t), q1 = A.Quants(t1), q2 = A.Quants(t2), q3 = A.Quants(t3);
        float* s0 = A.Scales(t), s1 = A.Scales(t1), s2 = A.Scales(t2), s3 = A.Scales(t3);
        int* k0 = A.Corrections(t), k1 = A.Corrections(t1), k2 = A.Corrections(t2), k3 = A.Corrections(t3);
        float* m0 = A.MinimumScales(t), m1 = A.MinimumScales(t1), m2 = A.MinimumScales(t2), m3 = A.MinimumScales(t3);
        int run = typeof(TStep) == typeof(MaddubsPackedStep) ? MaddubsPackedStep.Int16Run(TFormat.MaxQuant) : 0;
        for (int b = 0; b < Blocks; b++)
        {
            byte* quants = PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock);
            int at = b * 32;
            Vector256<int> sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3;
            if (run >= 4)
            {
                // The quads are written out one by one so that each one's unpacking (which nibble, which fifth bit) is
                // fixed when the JIT compiles it: in a loop over k it branched and shifted by a variable count per quad.
                byte* a0 = q0 + at, a1 = q1 + at, a2 = q2 + at, a3 = q3 + at;
                var ones = Vector256.Create((short)1);
                Vector256<short> pa0 = default, pa1 = default, pa2 = default, pa3 = default;
                Vector256<short> pb0 = default, pb1 = default, pb2 = default, pb3 = default;
                QuadProducts(quants, span, 0, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                QuadProducts(quants, span, 1, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                QuadProducts(quants, span, 2, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                QuadProducts(quants, span, 3, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                // Q5_0's and Q5_1's quants (up to 31) allow runs of four: the first half's widened sums wait on the stack
                // while the second half runs, which keeps the loop in registers.
                var firstHalf = new EightIntVectors();
                if (run < 8)
                {
                    firstHalf[0] = Avx2.MultiplyAddAdjacent(pa0, ones); firstHalf[4] = Avx2.MultiplyAddAdjacent(pb0, ones);
                    firstHalf[1] = Avx2.MultiplyAddAdjacent(pa1, ones); firstHalf[5] = Avx2.MultiplyAddAdjacent(pb1, ones);
                    firstHalf[2] = Avx2.MultiplyAddAdjacent(pa2, ones); firstHalf[6] = Avx2.MultiplyAddAdjacent(pb2, ones);
                    firstHalf[3] = Avx2.MultiplyAddAdjacent(pa3, ones); firstHalf[7] = Avx2.MultiplyAddAdjacent(pb3, ones);
                    pa0 = pa1 = pa2 = pa3 = pb0 = pb1 = pb2 = pb3 = default;
                }
                QuadProducts(quants, span, 4, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                QuadProducts(quants, span, 5, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                QuadProducts(quants, span, 6, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                QuadProducts(quants, span, 7, a0, a1, a2, a3, ref pa0, ref pa1, ref pa2, ref pa3, ref pb0, ref pb1, ref pb2, ref pb3);
                sa0 = PackedDot.Start<TStep>(k0 + b) + Avx2.MultiplyAddAdjacent(pa0, ones); sb0 = PackedDot.Start<TStep>(k0 + b) + Avx2.MultiplyAddAdjacent(pb0, ones);
                sa1 = PackedDot.Start<TStep>(k1 + b) + Avx2.MultiplyAddAdjacent(pa1, ones); sb1 = PackedDot.Start<TStep>(k1 + b) + Avx2.MultiplyAddAdjacent(pb1, ones);
                sa2 = PackedDot.Start<TStep>(k2 + b) + Avx2.MultiplyAddAdjacent(pa2, ones); sb2 = PackedDot.Start<TStep>(k2 + b) + Avx2.MultiplyAddAdjacent(pb2, ones);
                sa3 = PackedDot.Start<TStep>(k3 + b) + Avx2.MultiplyAddAdjacent(pa3, ones); sb3 = PackedDot.Start<TStep>(k3 + b) + Avx2.MultiplyAddAdjacent(pb3, ones);
                if (run < 8)
                {
                    sa0 += firstHalf[0]; sa1 += firstHalf[1]; sa2 += firstHalf[2]; sa3 += firstHalf[3];
                    sb0 += firstHalf[4]; sb1 += firstHalf[5]; sb2 += firstHalf[6]; sb3 += firstHalf[7];
                }
            }
            else
            {
                sa0 = PackedDot.Start<TStep>(k0 + b); sb0 = sa0;
                sa1 = PackedDot.Start<TStep>(k1 + b); sb1 = sa1;
                sa2 = PackedDot.Start<TStep>(k2 + b); sb2 = sa2;
                sa3 = PackedDot.Start<TStep>(k3 + b); sb3 = sa3;
                if (typeof(TStep) == typeof(SignedMaddubsPackedStep))
                {
                    // Q8_0's quads written out as the int16-run formats' are: each quad's weights and activations are then
                    // addressed by constant displacements, where the loop over k spent seven of its 46 instructions per quad
                    // on indices and its count (in the JIT's listing), which this host's shared dispatch charges in full.
                    byte* a0 = q0 + at, a1 = q1 + at, a2 = q2 + at, a3 = q3 + at;
                    SignedQuad(quants, span, 0, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 1, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 2, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 3, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 4, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 5, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 6, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                    SignedQuad(quants, span, 7, a0, a1, a2, a3, ref sa0, ref sa1, ref sa2, ref sa3, ref sb0, ref sb1, ref sb2, ref sb3);
                }
                else
                {
                    for (int k = 0; k < 8; k++, at += 4)
                    {
                        var wa = TFormat.Quad(quants, k);
                        var wb = TFormat.Quad(quants + span, k);
                        var x = PackedDot.Broadcast(q0 + at);
                        sa0 = TStep.Step(sa0, wa, x); sb0 = TStep.Step(sb0, wb, x);
                        x = PackedDot.Broadcast(q1 + at);
                        sa1 = TStep.Step(sa1, wa, x); sb1 = TStep.Step(sb1, wb, x);
                        x = PackedDot.Broadcast(q2 + at);
                        sa2 = TStep.Step(sa2, wa, x); sb2 = TStep.Step(sb2, wb, x);
                        x = PackedDot.Broadcast(q3 + at);
                        sa3 = TStep.Step(sa3, wa, x); sb3 = TStep.Step(sb3, wb, x);
                    }
                }
            }
            byte* scales = PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock);
            var rowScalesA = PackedScales.Load(scales);
            var rowScalesB = PackedScales.Load(scales + span);
            var minimumsA = TFormat.Minimums(quants);
            var minimumsB = TFormat.Minimums(quants + span);
            sums[0] = PackedDot.Scale<TFormat>(sa0, rowScalesA, minimumsA, s0 + b, m0 + b, sums[0]); sums[4] = PackedDot.Scale<TFormat>(sb0, rowScalesB, minimumsB, s0 + b, m0 + b, sums[4]);
            sums[1] = PackedDot.Scale<TFormat>(sa1, rowScalesA, minimumsA, s1 + b, m1 + b, sums[1]); sums[5] = PackedDot.Scale<TFormat>(sb1, rowScalesB, minimumsB, s1 + b, m1 + b, sums[5]);
            sums[2] = PackedDot.Scale<TFormat>(sa2, rowScalesA, minimumsA, s2 + b, m2 + b, sums[2]); sums[6] = PackedDot.Scale<TFormat>(sb2, rowScalesB, minimumsB, s2 + b, m2 + b, sums[6]);
            sums[3] = PackedDot.Scale<TFormat>(sa3, rowScalesA, minimumsA, s3 + b, m3 + b, sums[3]); sums[7] = PackedDot.Scale<TFormat>(sb3, rowScalesB, minimumsB, s3 + b, m3 + b, sums[7]);
        }
        float* y = Y + (long)t * Rows;
        int secondRow = firstRow + PackedLayout.GroupRows;
        for (int i = 0; i < count; i++, y += Rows)
        {
            PackedDot.Store(sums[i], y, firstRow, Rows);
            PackedDot.Store(sums[4 + i], y, secondRow, Rows);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void QuadProducts(byte* quants, long span, int k, byte* a0, byte* a1, byte* a2, byte* a3,
            ref Vector256<short> pa0, ref Vector256<short> pa1, ref Vector256<short> pa2, ref Vector256<short> pa3,
            ref Vector256<short> pb0, ref Vector256<short> pb1, ref Vector256<short> pb2, ref Vector256<short> pb3)
        {
            var wa = TFormat.Quad(quants, k);
            var wb = TFormat.Quad(quants + span, k);
            Products(wa, wb, a0 + 4 * k, ref pa0, ref pb0);
            Products(wa, wb, a1 + 4 * k, ref pa1, ref pb1);
            Products(wa, wb, a2 + 4 * k, ref pa2, ref pb2);
            Products(wa, wb, a3 + 4 * k, ref pa3, ref pb3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Products(Vector256<byte> wa, Vector256<byte> wb, byte* activation, ref Vector256<short> pa, ref Vector256<short> pb)
        {
            var x = PackedDot.Broadcast(activation);
            pa += Avx2.MultiplyAddAdjacent(wa, x);
            pb += Avx2.MultiplyAddAdjacent(wb, x);
        }

        // One column quad of Q8_0: the sign split made once for all four tokens (the JIT did not share it between them).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void SignedQuad(byte* quants, long span, int k, byte* a0, byte* a1, byte* a2, byte* a3,
            ref Vector256<int> sa0, ref Vector256<int> sa1, ref Vector256<int> sa2, ref Vector256<int> sa3,
            ref Vector256<int> sb0, ref Vector256<int> sb1, ref Vector256<int> sb2, ref Vector256<int> sb3)
        {
            var signedA = SignedMaddubsPackedStep.Signed(TFormat.Quad(quants, k));
            var signedB = SignedMaddubsPackedStep.Signed(TFormat.Quad(quants + span, k));
            var magnitudeA = Avx2.Sign(signedA, signedA).AsByte();
            var magnitudeB = Avx2.Sign(signedB, signedB).AsByte();
            SignedSteps(magnitudeA, signedA, magnitudeB, signedB, a0 + 4 * k, ref sa0, ref sb0);
            SignedSteps(magnitudeA, signedA, magnitudeB, signedB, a1 + 4 * k, ref sa1, ref sb1);
            SignedSteps(magnitudeA, signedA, magnitudeB, signedB, a2 + 4 * k, ref sa2, ref sb2);
            SignedSteps(magnitudeA, signedA, magnitudeB, signedB, a3 + 4 * k, ref sa3, ref sb3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void SignedSteps(Vector256<byte> magnitudeA, Vector256<sbyte> signedA, Vector256<byte> magnitudeB, Vector256<sbyte> signedB,
            byte* activation, ref Vector256<int> sa, ref Vector256<int> sb)
        {
            var x = PackedDot.Broadcast(activation);
            sa = MaddubsPackedStep.Step(sa, magnitudeA, Avx2.Sign(x, signedA));
            sb = MaddubsPackedStep.Step(sb, magnitudeB, Avx2.Sign(x, signedB));
        }
    }

    private readonly void Tile(byte* group, int firstRow, int t)
    {
        byte* q0 = A.Quants(t), q1 = A.Quants(t + 1), q2 = A.Quants(t + 2), q3 = A.Quants(t + 3);
        float* s0 = A.Scales(t), s1 = A.Scales(t + 1), s2 = A.Scales(t + 2), s3 = A.Scales(t + 3);
        int* k0 = A.Corrections(t), k1 = A.Corrections(t + 1), k2 = A.Corrections(t + 2), k3 = A.Corrections(t + 3);
        float* m0 = A.MinimumScales(t), m1 = A.MinimumScales(t + 1), m2 = A.MinimumScales(t + 2), m3 = A.MinimumScales(t + 3);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int b = 0; b < Blocks; b++)
        {
            byte* quants = PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock);
            TFormat.Unpack(quants, out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7);
            var rowScales = PackedScales.Load(PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock));
            var minimums = TFormat.Minimums(quants);
            int at = b * 32;
            c0 = PackedDot.Block<TFormat, TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, minimums, q0 + at, s0 + b, k0 + b, m0 + b, c0);
            c1 = PackedDot.Block<TFormat, TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, minimums, q1 + at, s1 + b, k1 + b, m1 + b, c1);
            c2 = PackedDot.Block<TFormat, TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, minimums, q2 + at, s2 + b, k2 + b, m2 + b, c2);
            c3 = PackedDot.Block<TFormat, TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, minimums, q3 + at, s3 + b, k3 + b, m3 + b, c3);
        }
        float* y = Y + (long)t * Rows;
        PackedDot.Store(c0, y, firstRow, Rows);
        PackedDot.Store(c1, y + Rows, firstRow, Rows);
        PackedDot.Store(c2, y + 2L * Rows, firstRow, Rows);
        PackedDot.Store(c3, y + 3L * Rows, firstRow, Rows);
    }
}

