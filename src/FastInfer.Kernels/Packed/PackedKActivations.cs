using System.Runtime.CompilerServices;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// One token's activations for the packed K-quant kernels: the Q8_K blocks the row-major kernels use
/// (<see cref="ActivationQuantizer"/>), and per super-block what the kernel would otherwise recompute for every group —
/// the scale times <see cref="PackedScales.Rescale"/>; the eight 32-column quant sums as four int16 pairs (sums 0|2,
/// 1|3, 4|6, 5|7), the operands vpmaddwd multiplies against Q4_K rows' minimums; and the sixteen 16-column sums as
/// eight pairs (4i|4i+2, 4i+1|4i+3), which vpmaddwd multiplies against Q6_K rows' scales.
/// </summary>
internal readonly unsafe struct PackedKActivations
{
    public const int SuperBlockColumns = 256;
    private const int TermBytes = 64;

    private readonly byte* _blocks;
    private readonly byte* _terms;

    private PackedKActivations(byte* blocks, byte* terms)
    {
        _blocks = blocks;
        _terms = terms;
    }

    /// <summary>The 256 quants of super-block <paramref name="s"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Quants(int s) => _blocks + (long)s * BlockQ8_K.ByteCount + BlockQ8_K.QuantOffset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Scale(int s) => *(float*)(_terms + s * TermBytes);

    /// <summary>32-column sum pair <paramref name="pair"/> (0..3) of super-block <paramref name="s"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int SumPair(int s, int pair) => *(int*)(_terms + s * TermBytes + 4 + 4 * pair);

    /// <summary>16-column sum pair <paramref name="pair"/> (0..7) of super-block <paramref name="s"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int SumPair16(int s, int pair) => *(int*)(_terms + s * TermBytes + 20 + 4 * pair);

    /// <summary>Prepares <paramref name="superBlocks"/>·256 floats in this thread's scratch (valid until the next call).</summary>
    public static PackedKActivations Prepare(float* x, int superBlocks)
    {
        byte* blocks = MatMulScratch.Get(0, (long)superBlocks * BlockQ8_K.ByteCount);
        byte* terms = MatMulScratch.Get(1, (long)superBlocks * TermBytes);
        ActivationQuantizer.Quantize<BlockQ8_K>(x, blocks, superBlocks);
        for (int s = 0; s < superBlocks; s++)
        {
            byte* block = blocks + (long)s * BlockQ8_K.ByteCount;
            byte* term = terms + s * TermBytes;
            *(float*)term = BlockQ8_K.Scale(block) * PackedScales.Rescale;
            for (int pair = 0; pair < 4; pair++)
            {
                // Pair p holds groups (p & 1) + 4·(p >> 1) and that plus 2, matching the minimums' byte order in a lane.
                int first = (pair & 1) + 4 * (pair >> 1);
                *(int*)(term + 4 + 4 * pair) = (ushort)GroupSum32(block, first) | GroupSum32(block, first + 2) << 16;
            }
            for (int pair = 0; pair < 8; pair++)
            {
                int first = (pair & 1) + 4 * (pair >> 1);
                *(int*)(term + 20 + 4 * pair) = (ushort)BlockQ8_K.GroupSum(block, first) | BlockQ8_K.GroupSum(block, first + 2) << 16;
            }
        }
        return new PackedKActivations(blocks, terms);
    }

    /// <summary>Sum of the quants of 32-column group <paramref name="group"/> (at most 32·127 in magnitude, so it fits int16).</summary>
    private static int GroupSum32(byte* block, int group) => BlockQ8_K.GroupSum(block, 2 * group) + BlockQ8_K.GroupSum(block, 2 * group + 1);
}
