using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// The float GEMM on AVX2 (<see cref="FloatGemm"/>): 4-row × 24-token tiles (<see cref="FloatTile256"/>), so a packed
/// activation tile of a 128-column slice is 12 KiB and leaves most of a 32 KiB L1 to the four weight rows' lines;
/// 128-row blocks, whose transposed outputs over a 240-token chunk (120 KiB) and widened slice (64 KiB) fit a Zen 3
/// core's 512 KiB L2 beside the slice of packed activations that streams through it. Packed half-float copies are not
/// read here (<see cref="Packed.PackedHalfFloat.IsReadOn"/>): the file's rows are.
/// </summary>
internal readonly unsafe struct FloatGemm256 : IFloatGemmShape
{
    public static IsaPath Path => IsaPath.Avx2;
    public static int TileRows => FloatTile256.Rows;
    public static int TileTokens => FloatTile256.Tokens;
    public static int Lanes => 8;
    public static int DepthBlock => 128;
    public static int BlockRows => 128;
    public static int ChunkTokens => 240;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(int vectors, float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate,
        byte* next, long nextStride, int nextRows, int nextBytesPerStep)
    {
        switch (vectors)
        {
            case 3: FloatTile256.Multiply<ThreeVectors>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
            case 2: FloatTile256.Multiply<TwoVectors>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
            default: FloatTile256.Multiply<OneVector>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen<T>(byte* src, float* dst, int count) where T : struct, IFloatBlock
    {
        int k = 0;
        for (; k + 8 <= count; k += 8)
            T.Load256(src + k * T.Bytes).Store(dst + k);
        for (; k < count; k++)
            dst[k] = T.Load(src + k * T.Bytes);
    }
}
