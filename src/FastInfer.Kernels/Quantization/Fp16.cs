namespace FastInfer.Kernels.Quantization;

/// <summary>IEEE half and bfloat16 conversions with the rounding ggml uses, so files we write match its bits.</summary>
public static class Fp16
{
    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>Round-to-nearest-even, as the hardware vcvtps2ph and ggml's converter do.</summary>
    public static ushort FloatToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    public static float BFloat16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round-to-nearest-even on the dropped 16 bits; NaN stays a quiet NaN.</summary>
    public static ushort FloatToBFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000)
            return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }
}
