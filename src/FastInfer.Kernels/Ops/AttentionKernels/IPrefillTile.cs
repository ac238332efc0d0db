using System.Runtime.CompilerServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.FloatGemm;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// What <see cref="TiledPrefillJob{TKv, TTile}"/> takes from one vector width: the float GEMM's register tile and how many
/// keys one softmax step covers. A struct per width, so the JIT compiles the job's loop once for each.
/// </summary>
internal unsafe interface IPrefillTile
{
    static abstract IsaPath Path { get; }

    /// <summary>Query rows of a register tile.</summary>
    static abstract int Rows { get; }

    /// <summary>Columns of a register tile (keys for scores, output columns for P·V): the width of a packed operand.</summary>
    static abstract int Tokens { get; }

    /// <summary>Floats per vector; head sizes must be whole vectors.</summary>
    static abstract int Lanes { get; }

    /// <summary>Keys per softmax step, a multiple of <see cref="Tokens"/>.</summary>
    static abstract int KeyTile { get; }

    /// <summary>Query rows (queries × the heads sharing a KV head) an item gathers, where the queries are many enough, when
    /// the last query sees <paramref name="keys"/> positions: each item widens and transposes every K/V tile it meets, so
    /// more rows per item share that work, while fewer keep an item's queries in L1.</summary>
    static abstract int TargetRows(int keys);

    /// <summary>The register tile's product over <paramref name="vectors"/> column vectors (see <see cref="FloatTile512"/>).</summary>
    static abstract void Multiply(int vectors, float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate);
}

/// <summary>
/// AVX-512: one 6 × 64 tile per 64-key step, as the job ran before it became generic over the width (its loop is
/// unchanged, and with no AVX-512 host to time it, it was not retuned).
/// </summary>
internal readonly unsafe struct PrefillTile512 : IPrefillTile
{
    public static IsaPath Path => IsaPath.Avx512;
    public static int Rows => FloatTile512.Rows;
    public static int Tokens => FloatTile512.Tokens;
    public static int Lanes => 16;
    public static int KeyTile => FloatTile512.Tokens;
    public static int TargetRows(int keys) => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(int vectors, float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate)
    {
        switch (vectors)
        {
            case 4: FloatTile512.Multiply<FourVectors>(w, wStride, rows, x, depth, c, ldc, accumulate); break;
            case 3: FloatTile512.Multiply<ThreeVectors>(w, wStride, rows, x, depth, c, ldc, accumulate); break;
            case 2: FloatTile512.Multiply<TwoVectors>(w, wStride, rows, x, depth, c, ldc, accumulate); break;
            default: FloatTile512.Multiply<OneVector>(w, wStride, rows, x, depth, c, ldc, accumulate); break;
        }
    }
}

/// <summary>
/// AVX2: the GEMM's 4 × 24 tile (all 16 ymm registers), four of its key columns per softmax step: with 24 keys a step,
/// the per-row max, exponentials and rescale cost about as much as the two products.
/// </summary>
internal readonly unsafe struct PrefillTile256 : IPrefillTile
{
    public static IsaPath Path => IsaPath.Avx2;
    public static int Rows => FloatTile256.Rows;
    public static int Tokens => FloatTile256.Tokens;
    public static int Lanes => 8;
    public static int KeyTile => 4 * FloatTile256.Tokens;

    /// <summary>
    /// 256 rows (64 queries of a four-head group) once the queries see 512 keys or more, 64 below. In a trial harness on
    /// the Zen 3 (32 heads, 8 KV heads of 128, two threads, alternated in one process with 64 rows throughout, the
    /// earlier choice): clearly faster for 64 to 512 queries after 1500–2000 cached positions and for 1024–2048-token
    /// prompts, a little faster at 512 tokens; at 256 tokens or fewer 256 rows were no faster or slower (an item's
    /// queries then leave L1 while there is little K/V widening to share). The 512-bit tile keeps 64: it cannot be timed
    /// here.
    /// </summary>
    public static int TargetRows(int keys) => keys >= 512 ? 256 : 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(int vectors, float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate)
        => FloatGemm256.Multiply(vectors, w, wStride, rows, x, depth, c, ldc, accumulate, (byte*)w, wStride * sizeof(float), rows, sizeof(float));
}
