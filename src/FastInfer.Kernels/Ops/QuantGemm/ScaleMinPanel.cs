using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Q4_K and Q5_K: x = d·scale_j·q − dmin·min_j per 32-column group j, so the scales are the 6-bit scales and the offset
/// pair of group j is (min_j, min_j) against the two 16-column activation sums it spans, times −dmin.
/// </summary>
internal readonly unsafe struct ScaleMinPanel<T> : IKQuantPanel where T : struct, IScaleMinQuants, IQuantBlock
{
    public static GgmlType Type => T.Type;
    public static int SubBlockColumns => 32;
    public static int MaxQuant => T.Type == GgmlType.Q5_K ? 31 : 15;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quants(byte* block, byte* destination)
    {
        for (int j = 0; j < 4; j++)
        {
            var (low, high) = T.Chunk256(block, j);
            low.Store(destination + 64 * j);
            high.Store(destination + 64 * j + 32);
        }
    }

    public static void Header(byte* block, int* scales, int* offsets, out float d, out float offsetFactor)
    {
        var s = KScales.Unpack(block + ScaleMinBlocks.ScalesOffset);
        for (int j = 0; j < 8; j++)
        {
            scales[8 * j] = s.Scale(j);
            offsets[8 * j] = s.Min(j) | s.Min(j) << 16;
        }
        d = Fp16.Load(block);
        offsetFactor = -Fp16.Load(block + 2);
    }
}
