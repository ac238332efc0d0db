using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastInfer.Kernels.Quantization;

/// <summary>IEEE half and bfloat16 conversions with the rounding ggml uses, so files we write match its bits.</summary>
public static unsafe class Fp16
{
    // Block kernels read two half scales per 32 elements; a 256 KiB table beats the software conversion
    // there (this runtime exposes no F16C intrinsic). Allocated once and never freed: it lives as long as the process.
    private static readonly float* s_table = BuildTable();

    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>Table lookup of <see cref="HalfToFloat"/> for the hot loops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Lookup(ushort bits) => s_table[bits];

    /// <summary>The half stored little-endian at <paramref name="p"/>, as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Load(byte* p) => s_table[Unsafe.ReadUnaligned<ushort>(p)];

    /// <summary>Round-to-nearest-even, as the hardware vcvtps2ph and ggml's converter do.</summary>
    public static ushort FloatToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>
    /// <paramref name="value"/> rounded to half precision and back: exactly <c>HalfToFloat(FloatToHalf(value))</c>. Within
    /// the half's positive normal range that is the float with its 13 low mantissa bits rounded off to nearest even,
    /// a few integer operations instead of the software conversion (this runtime exposes no F16C intrinsic); anything
    /// else (zero, subnormal halves, overflow, negatives, NaN) takes the conversion itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ThroughHalf(float value)
    {
        if (value >= SmallestNormalHalf && value < LargestHalf)
        {
            uint bits = BitConverter.SingleToUInt32Bits(value);
            bits = (bits + 0x0FFFu + ((bits >> 13) & 1)) & ~0x1FFFu;
            return BitConverter.UInt32BitsToSingle(bits);
        }
        return Lookup(FloatToHalf(value));
    }

    private const float SmallestNormalHalf = 1f / 16384, LargestHalf = 65504f;

    public static float BFloat16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round-to-nearest-even on the dropped 16 bits; NaN stays a quiet NaN.</summary>
    public static ushort FloatToBFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000)
            return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    private static float* BuildTable()
    {
        var table = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++)
            table[i] = HalfToFloat((ushort)i);
        return table;
    }
}
