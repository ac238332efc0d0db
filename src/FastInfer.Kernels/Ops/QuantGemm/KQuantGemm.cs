using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Prefill for K-quant weights (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) on the 256-bit paths: the tokens are quantized once to
/// Q8_K (in parallel, one token per task), then <see cref="KQuantGemmJob{TPanel, TStep}"/> splits the rows in groups of
/// eight. vpdpbusd where <see cref="RowDot.UsesVnni"/> allows it, AVX2 vpmaddubsw otherwise (exact: two products of a
/// quant of at most 63 and an activation of at most 127 fit int16), on the AVX-512 path in 512-bit registers
/// (<see cref="KQuantPairPrefill"/>). Other types and the V128/scalar paths decline.
/// </summary>
internal static unsafe class KQuantGemm
{
    public static bool Supports(GgmlType type, IsaPath path)
        => path >= IsaPath.Avx2 && type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>y (tokens×rows) = x (tokens×columns)·Wᵀ; false when <see cref="Supports"/> says no.</summary>
    public static bool TryMultiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int tokens, ComputePool pool, IsaPath path)
    {
        if (!Supports(w.Type, path))
            return false;
        bool vnni = RowDot.UsesVnni(path);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            switch (w.Type)
            {
                case GgmlType.Q2_K when vnni: Run<Q2KPanel, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q2_K: Run<Q2KPanel, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q3_K when vnni: Run<Q3KPanel, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q3_K: Run<Q3KPanel, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q4_K when vnni: Run<ScaleMinPanel<BlockQ4_K>, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q4_K: Run<ScaleMinPanel<BlockQ4_K>, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q5_K when vnni: Run<ScaleMinPanel<BlockQ5_K>, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q5_K: Run<ScaleMinPanel<BlockQ5_K>, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
                case GgmlType.Q6_K when vnni: Run<Q6KPanel, VnniPackedStep>(w, px, py, tokens, pool, path); break;
                default: Run<Q6KPanel, MaddubsPackedStep>(w, px, py, tokens, pool, path); break;
            }
        }
        return true;
    }

    /// <summary>True when prefill reads <paramref name="w"/>'s rows back from its packed copy: wherever decode reads the
    /// copy, so the file's rows are not needed beside it.</summary>
    public static bool ReadsPackedRows(in WeightMatrix w, IsaPath path)
        => w.Packed.IsPresent && PackedRows.CanRead(w.Type) && PackedWeights.IsReadOn(path, w.Type);

    private static void Run<TPanel, TStep>(in WeightMatrix w, float* x, float* y, int tokens, ComputePool pool, IsaPath path)
        where TPanel : struct, IKQuantPanel where TStep : struct, IPackedStep
    {
        int blocks = w.Columns / BlockQ8_K.Elements;
        long activationRow = (long)blocks * BlockQ8_K.ByteCount;
        byte* activations = MatMulScratch.Get(2, tokens * activationRow);
        ActivationQuantizer.QuantizeTokens<BlockQ8_K>(x, w.Columns, activations, activationRow, tokens, pool);
        var job = new KQuantGemmJob<TPanel, TStep>
        {
            W = w, FromPacked = ReadsPackedRows(w, path), Blocks = blocks,
            A = activations, ActivationRow = activationRow, Tokens = tokens, Y = y,
            WidePairs = PackedPair.IsUsable(path) && typeof(TStep) != typeof(VnniPackedStep),
        };
        int pairRows = KQuantGemmJob<TPanel, TStep>.PairRows, pairs = (w.Rows + pairRows - 1) / pairRows;
        // Claimed in shrinking chunks down to a single pair (each pair counted as a whole minimum chunk's work: sixteen rows
        // against every token), so a thread the host preempts does not hold the other at the end of every matrix, as the
        // fixed shares did in a profile of a noisy host's prefill. A pair's rows are the same whichever thread runs them.
        pool.ForBalanced(pairs, ref job, 1, pairs * ComputePool.MinimumChunkBytes);
    }
}
