using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Packed;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// K-quant prefill of a pair panel (<see cref="KQuantGemmJob{TPanel, TStep}"/>: two groups of eight rows, block by block)
/// in 512-bit registers, for the AVX-512 path where .NET gives it no vpdpbusd (as <see cref="PackedPairPrefill"/> does for
/// the block formats): group A's rows in lanes 0–7, group B's in 8–15. Per sub-block the pair's column quads are loaded
/// once into registers and every token of the tile meets them, its four activation bytes per quad one broadcast; the
/// vpmaddubsw results add in int16 for as many quads as the panel's quants allow
/// (<see cref="MaddubsPackedStep.Int16Run"/>: Q4_K a whole sub-block, Q5_K half, Q6_K two quads), and one vpmaddwd
/// against the rows' scales widens and scales each run. The integers are those of the 256-bit tiles and the float steps
/// per block the same, so every result has their bits. In `bench-kernels` on a Zen 4, alternated three times with the
/// 256-bit tiles: Q2_K 277–309 → 383–415 GOP/s, Q3_K 310–334 → 359–398, Q6_K 263–326 → 332–359; Q4_K and Q5_K moved
/// with the host in both builds (performance log, session 26).
/// </summary>
internal static unsafe class KQuantPairPrefill
{
    /// <summary>The most tokens one call takes: its per-token sums and results stay in a few KiB of stack.</summary>
    public const int MaxTokens = 32;

    /// <summary>
    /// Rows firstRow.. and the next group's of y (tokens×rows, row-major by token) for <paramref name="tokens"/> (at most
    /// <see cref="MaxTokens"/>) from <paramref name="firstToken"/>, whose Q8_K blocks start at
    /// <paramref name="activations"/> + token·<paramref name="activationRow"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Multiply<TPanel>(byte* panel, int blocks, byte* activations, long activationRow, int firstToken, int tokens,
        float* y, int firstRow, int rows) where TPanel : struct, IKQuantPanel
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, MaxTokens);
        float* results = stackalloc float[MaxTokens * 16];
        int* sums = stackalloc int[MaxTokens * 16];
        new Span<float>(results, tokens * 16).Clear();
        long span = PanelLayout.BlockBytes<TPanel>();
        int subBlocks = PanelLayout.SubBlocks<TPanel>();
        byte* first = activations + firstToken * activationRow;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = panel + 2 * b * span;
            new Span<int>(sums, tokens * 16).Clear();
            byte* quants = first + (long)b * BlockQ8_K.ByteCount + BlockQ8_K.QuantOffset;
            for (int s = 0; s < subBlocks; s++)
            {
                var scales = PackedPair.Join(block + PanelLayout.ScalesAt + 32 * s, span).AsInt32();
                var scalePairs = ((scales & Vector512.Create(0xFFFF)) | Vector512.ShiftLeft(scales, 16)).AsInt16();
                if (TPanel.SubBlockColumns == 32)
                    SubBlock8<TPanel>(block + s * 256, span, quants + 32 * s, activationRow, tokens, scalePairs, sums);
                else
                    SubBlock4<TPanel>(block + s * 128, span, quants + 16 * s, activationRow, tokens, scalePairs, sums);
            }
            Finish<TPanel>(block, span, first + (long)b * BlockQ8_K.ByteCount, activationRow, tokens, sums, results);
        }
        PackedPair.StoreTokens(results, tokens, y, firstToken, firstRow, rows);
    }

    /// <summary>A 32-column sub-block (Q4_K, Q5_K), eight column quads, into each token's sums.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SubBlock8<TPanel>(byte* w, long span, byte* x, long activationRow, int tokens, Vector512<short> scalePairs, int* sums)
        where TPanel : struct, IKQuantPanel
    {
        var w0 = Quad(w, span, 0); var w1 = Quad(w, span, 1); var w2 = Quad(w, span, 2); var w3 = Quad(w, span, 3);
        var w4 = Quad(w, span, 4); var w5 = Quad(w, span, 5); var w6 = Quad(w, span, 6); var w7 = Quad(w, span, 7);
        for (int t = 0; t < tokens; t++, x += activationRow, sums += 16)
        {
            var firstHalf = (Products(w0, x) + Products(w1, x + 4)) + (Products(w2, x + 8) + Products(w3, x + 12));
            var secondHalf = (Products(w4, x + 16) + Products(w5, x + 20)) + (Products(w6, x + 24) + Products(w7, x + 28));
            var scaled = MaddubsPackedStep.Int16Run(TPanel.MaxQuant) >= 8
                ? Avx512Ops.MultiplyAddAdjacent(firstHalf + secondHalf, scalePairs)
                : Avx512Ops.MultiplyAddAdjacent(firstHalf, scalePairs) + Avx512Ops.MultiplyAddAdjacent(secondHalf, scalePairs);
            (Vector512.Load(sums) + scaled).Store(sums);
        }
    }

    /// <summary>A 16-column sub-block (Q2_K, Q3_K, Q6_K), four column quads, into each token's sums.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SubBlock4<TPanel>(byte* w, long span, byte* x, long activationRow, int tokens, Vector512<short> scalePairs, int* sums)
        where TPanel : struct, IKQuantPanel
    {
        var w0 = Quad(w, span, 0); var w1 = Quad(w, span, 1); var w2 = Quad(w, span, 2); var w3 = Quad(w, span, 3);
        for (int t = 0; t < tokens; t++, x += activationRow, sums += 16)
        {
            var firstPair = Products(w0, x) + Products(w1, x + 4);
            var secondPair = Products(w2, x + 8) + Products(w3, x + 12);
            var scaled = MaddubsPackedStep.Int16Run(TPanel.MaxQuant) >= 4
                ? Avx512Ops.MultiplyAddAdjacent(firstPair + secondPair, scalePairs)
                : Avx512Ops.MultiplyAddAdjacent(firstPair, scalePairs) + Avx512Ops.MultiplyAddAdjacent(secondPair, scalePairs);
            (Vector512.Load(sums) + scaled).Store(sums);
        }
    }

    /// <summary>
    /// Each token's block into its rows' float chains: the offset terms from the activation's group sums (the pair's
    /// offset vectors loaded once for every token), then the two float steps of <see cref="KQuantGemmJob{TPanel, TStep}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Finish<TPanel>(byte* block, long span, byte* activationBlock, long activationRow, int tokens, int* sums, float* results)
        where TPanel : struct, IKQuantPanel
    {
        // Written out against the panel's eight offset vectors (PanelLayout.OffsetPairs), each pair's rows in one register.
        byte* offsets = block + PanelLayout.OffsetsAt<TPanel>();
        var o0 = Offsets(offsets, span, 0); var o1 = Offsets(offsets, span, 1); var o2 = Offsets(offsets, span, 2); var o3 = Offsets(offsets, span, 3);
        var o4 = Offsets(offsets, span, 4); var o5 = Offsets(offsets, span, 5); var o6 = Offsets(offsets, span, 6); var o7 = Offsets(offsets, span, 7);
        var d = PackedPair.Join(block + PanelLayout.DAt<TPanel>(), span).AsSingle();
        var offsetFactor = PackedPair.Join(block + PanelLayout.OffsetFactorAt<TPanel>(), span).AsSingle();
        for (int t = 0; t < tokens; t++, activationBlock += activationRow, sums += 16, results += 16)
        {
            byte* groupSums = activationBlock + BlockQ8_K.SumOffset;
            var offset = (Avx512Ops.MultiplyAddAdjacent(o0, Pair(groupSums)) + Avx512Ops.MultiplyAddAdjacent(o1, Pair(groupSums + 4)))
                + (Avx512Ops.MultiplyAddAdjacent(o2, Pair(groupSums + 8)) + Avx512Ops.MultiplyAddAdjacent(o3, Pair(groupSums + 12)))
                + ((Avx512Ops.MultiplyAddAdjacent(o4, Pair(groupSums + 16)) + Avx512Ops.MultiplyAddAdjacent(o5, Pair(groupSums + 20)))
                + (Avx512Ops.MultiplyAddAdjacent(o6, Pair(groupSums + 24)) + Avx512Ops.MultiplyAddAdjacent(o7, Pair(groupSums + 28))));
            var da = Vector512.Create(BlockQ8_K.Scale(activationBlock));
            var acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Vector512.Load(sums)), d * da, Vector512.Load(results));
            Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(offset), offsetFactor * da, acc).Store(results);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<short> Offsets(byte* offsets, long span, int i) => PackedPair.Join(offsets + 32 * i, span).AsInt16();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<short> Pair(byte* twoSums) => PackedPair.Broadcast(twoSums).AsInt16();
    }

    /// <summary>Column quad k of the sub-block at <paramref name="w"/>, group A's rows in the lower half and B's in the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Quad(byte* w, long span, int k) => PackedPair.Join(w + 32 * k, span).AsByte();

    /// <summary>vpmaddubsw of a quad against the token's four activation bytes at <paramref name="x"/>, broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Products(Vector512<byte> w, byte* x)
        => PackedPair.Products(w, PackedPair.Broadcast(x));
}
