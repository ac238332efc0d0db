using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// The float GEMM on AVX-512 (<see cref="FloatGemm"/>): 6-row × 64-token tiles (<see cref="FloatTile512"/>), so a packed
/// activation tile of a 128-column slice is 32 KiB, held in L1; 192-row blocks, whose transposed outputs over a
/// 256-token chunk (192 KiB) and widened slice (96 KiB) a thread keeps in L2.
/// </summary>
internal readonly unsafe struct FloatGemm512 : IFloatGemmShape
{
    public static IsaPath Path => IsaPath.Avx512;
    public static int TileRows => FloatTile512.Rows;
    public static int TileTokens => FloatTile512.Tokens;
    public static int Lanes => 16;
    public static int DepthBlock => 128;
    public static int BlockRows => 192;
    public static int ChunkTokens => 256;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(int vectors, float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate,
        byte* next, long nextStride, int nextRows, int nextBytesPerStep)
    {
        switch (vectors)
        {
            case 4: FloatTile512.Multiply<FourVectors>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
            case 3: FloatTile512.Multiply<ThreeVectors>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
            case 2: FloatTile512.Multiply<TwoVectors>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
            default: FloatTile512.Multiply<OneVector>(w, wStride, rows, x, depth, c, ldc, accumulate, next, nextStride, nextRows, nextBytesPerStep); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen<T>(byte* src, float* dst, int count) where T : struct, IFloatBlock
    {
        int k = 0;
        for (; k + 16 <= count; k += 16)
            T.Load512(src + k * T.Bytes).Store(dst + k);
        for (; k < count; k++)
            dst[k] = T.Load(src + k * T.Bytes);
    }
}
