using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml block_q8_K, the activation block of the K-quants: float d, int8 qs[256], int16 bsums[16] (sums of each
/// 16 quants, which fold the K-quants' per-group minimums and offsets into one multiply per group).
/// </summary>
public readonly unsafe struct BlockQ8_K : IQuantizableBlock
{
    public const int ScaleOffset = 0, QuantOffset = 4, SumOffset = 260, ByteCount = 4 + 256 + 32;
    public static GgmlType Type => GgmlType.Q8_K;
    public static int Elements => 256;
    public static int Bytes => ByteCount;

    public static void Dequantize(byte* block, float* destination)
    {
        float d = Unsafe.ReadUnaligned<float>(block);
        sbyte* q = (sbyte*)(block + QuantOffset);
        for (int j = 0; j < 256; j++)
            destination[j] = d * q[j];
    }

    /// <summary>Symmetric: d = max|x|/127, so every quant is in [−127, 127] (safe for the sign-moving int8 dot).</summary>
    public static void Quantize(float* source, byte* block)
    {
        float amax = 0;
        for (int j = 0; j < 256; j++)
            amax = MathF.Max(amax, MathF.Abs(source[j]));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        Unsafe.WriteUnaligned(block, d);
        sbyte* q = (sbyte*)(block + QuantOffset);
        short* sums = (short*)(block + SumOffset);
        for (int g = 0; g < 16; g++)
        {
            int sum = 0;
            for (int j = g * 16; j < g * 16 + 16; j++)
            {
                q[j] = (sbyte)(int)MathF.Round(source[j] * id, MidpointRounding.ToEven);
                sum += q[j];
            }
            sums[g] = (short)sum;
        }
    }

    /// <summary>Σ scale_g · (sum of quants in group g) over the sixteen groups of 16: the integer a per-group offset removes.</summary>
    public static int ScaledGroupSums(sbyte* scales, byte* block)
    {
        int sum = 0;
        for (int g = 0; g < 16; g++)
            sum += scales[g] * GroupSum(block, g);
        return sum;
    }

    public static float Scale(byte* block) => Unsafe.ReadUnaligned<float>(block);
    public static sbyte* Quants(byte* block) => (sbyte*)(block + QuantOffset);
    public static short GroupSum(byte* block, int group16) => Unsafe.ReadUnaligned<short>(block + SumOffset + 2 * group16);
}
