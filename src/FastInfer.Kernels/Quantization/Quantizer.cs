using FastInfer.Kernels.Blocks;

namespace FastInfer.Kernels.Quantization;

/// <summary>
/// Converts F32 rows to the stored types FastInfer writes, and stored rows back to F32,
/// following ggml's reference block layouts bit for bit (the per-type rules live in <see cref="Blocks"/>).
/// </summary>
public static unsafe class Quantizer
{
    /// <summary>Types <see cref="Quantize"/> can produce.</summary>
    public static bool CanQuantizeTo(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0
            or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K or GgmlType.Q8_1;

    /// <summary>Types <see cref="Dequantize"/> can read.</summary>
    public static bool CanDequantize(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0
            or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K or GgmlType.Q8_1;

    /// <summary>Encodes <paramref name="source"/> (a whole number of blocks) into <paramref name="destination"/>.</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        long needed = GgmlTypeTraits.RowBytes(type, source.Length);
        if (destination.Length < needed)
            throw new ArgumentException($"destination holds {destination.Length} bytes, {type} needs {needed}");
        fixed (float* s = source)
        fixed (byte* d = destination)
        {
            switch (type)
            {
                case GgmlType.F32: Encode<BlockF32>(s, d, source.Length); break;
                case GgmlType.F16: Encode<BlockF16>(s, d, source.Length); break;
                case GgmlType.BF16: Encode<BlockBF16>(s, d, source.Length); break;
                case GgmlType.Q8_0: Encode<BlockQ8_0>(s, d, source.Length); break;
                case GgmlType.Q4_0: Encode<BlockQ4_0>(s, d, source.Length); break;
                case GgmlType.Q4_1: Encode<BlockQ4_1>(s, d, source.Length); break;
                case GgmlType.Q5_0: Encode<BlockQ5_0>(s, d, source.Length); break;
                case GgmlType.Q5_1: Encode<BlockQ5_1>(s, d, source.Length); break;
                case GgmlType.Q2_K: Encode<BlockQ2_K>(s, d, source.Length); break;
                case GgmlType.Q3_K: Encode<BlockQ3_K>(s, d, source.Length); break;
                case GgmlType.Q4_K: Encode<BlockQ4_K>(s, d, source.Length); break;
                case GgmlType.Q5_K: Encode<BlockQ5_K>(s, d, source.Length); break;
                case GgmlType.Q6_K: Encode<BlockQ6_K>(s, d, source.Length); break;
                case GgmlType.Q8_K: Encode<BlockQ8_K>(s, d, source.Length); break;
                case GgmlType.Q8_1: Encode<BlockQ8_1>(s, d, source.Length); break;
                default: throw new NotSupportedException($"quantizing to {type} is not supported");
            }
        }
    }

    /// <summary>Decodes a row of any supported stored type into F32.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        long needed = GgmlTypeTraits.RowBytes(type, destination.Length);
        if (source.Length < needed)
            throw new ArgumentException($"source holds {source.Length} bytes, {destination.Length} {type} values need {needed}");
        fixed (byte* s = source)
        fixed (float* d = destination)
        {
            switch (type)
            {
                case GgmlType.F32: Decode<BlockF32>(s, d, destination.Length); break;
                case GgmlType.F16: Decode<BlockF16>(s, d, destination.Length); break;
                case GgmlType.BF16: Decode<BlockBF16>(s, d, destination.Length); break;
                case GgmlType.Q8_0: Decode<BlockQ8_0>(s, d, destination.Length); break;
                case GgmlType.Q4_0: Decode<BlockQ4_0>(s, d, destination.Length); break;
                case GgmlType.Q4_1: Decode<BlockQ4_1>(s, d, destination.Length); break;
                case GgmlType.Q5_0: Decode<BlockQ5_0>(s, d, destination.Length); break;
                case GgmlType.Q5_1: Decode<BlockQ5_1>(s, d, destination.Length); break;
                case GgmlType.Q2_K: Decode<BlockQ2_K>(s, d, destination.Length); break;
                case GgmlType.Q3_K: Decode<BlockQ3_K>(s, d, destination.Length); break;
                case GgmlType.Q4_K: Decode<BlockQ4_K>(s, d, destination.Length); break;
                case GgmlType.Q5_K: Decode<BlockQ5_K>(s, d, destination.Length); break;
                case GgmlType.Q6_K: Decode<BlockQ6_K>(s, d, destination.Length); break;
                case GgmlType.Q8_K: Decode<BlockQ8_K>(s, d, destination.Length); break;
                case GgmlType.Q8_1: Decode<BlockQ8_1>(s, d, destination.Length); break;
                default: throw new NotSupportedException($"dequantizing {type} is not supported");
            }
        }
    }

    internal static void Encode<T>(float* source, byte* destination, int elements) where T : struct, IQuantizableBlock
    {
        for (int b = 0; b < elements / T.Elements; b++)
            T.Quantize(source + b * T.Elements, destination + b * T.Bytes);
    }

    private static void Decode<T>(byte* source, float* destination, int elements) where T : struct, IQuantBlock
    {
        for (int b = 0; b < elements / T.Elements; b++)
            T.Dequantize(source + b * T.Bytes, destination + b * T.Elements);
    }
}
