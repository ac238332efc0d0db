using System.Buffers.Binary;

namespace FastInfer.Kernels.Quantization;

/// <summary>
/// Converts F32 rows to the stored types FastInfer writes, and stored rows back to F32,
/// following ggml's reference block layouts bit for bit.
/// </summary>
public static class Quantizer
{
    /// <summary>Types <see cref="Quantize"/> can produce.</summary>
    public static bool CanQuantizeTo(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0;

    /// <summary>Encodes <paramref name="source"/> (a whole number of blocks) into <paramref name="destination"/>.</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        long needed = GgmlTypeTraits.RowBytes(type, source.Length);
        if (destination.Length < needed)
            throw new ArgumentException($"destination holds {destination.Length} bytes, {type} needs {needed}");
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], source[i]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], Fp16.FloatToHalf(source[i]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], Fp16.FloatToBFloat16(source[i]));
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < source.Length / 32; b++)
                    QuantizeQ8_0Block(source.Slice(b * 32, 32), destination.Slice(b * 34, 34));
                break;
            case GgmlType.Q4_0:
                for (int b = 0; b < source.Length / 32; b++)
                    QuantizeQ4_0Block(source.Slice(b * 32, 32), destination.Slice(b * 18, 18));
                break;
            default:
                throw new NotSupportedException($"quantizing to {type} is not supported");
        }
    }

    /// <summary>Decodes a row of any supported stored type into F32.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        long needed = GgmlTypeTraits.RowBytes(type, destination.Length);
        if (source.Length < needed)
            throw new ArgumentException($"source holds {source.Length} bytes, {destination.Length} {type} values need {needed}");
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = Fp16.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = Fp16.BFloat16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < destination.Length / 32; b++)
                {
                    var block = source.Slice(b * 34, 34);
                    float d = Fp16.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block));
                    for (int j = 0; j < 32; j++)
                        destination[b * 32 + j] = (sbyte)block[2 + j] * d;
                }
                break;
            case GgmlType.Q4_0:
                for (int b = 0; b < destination.Length / 32; b++)
                {
                    var block = source.Slice(b * 18, 18);
                    float d = Fp16.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block));
                    for (int j = 0; j < 16; j++)
                    {
                        destination[b * 32 + j] = ((block[2 + j] & 0x0F) - 8) * d;
                        destination[b * 32 + j + 16] = ((block[2 + j] >> 4) - 8) * d;
                    }
                }
                break;
            default:
                throw new NotSupportedException($"dequantizing {type} is not supported");
        }
    }

    private static void QuantizeQ8_0Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        float amax = 0;
        foreach (var v in x)
            amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteUInt16LittleEndian(block, Fp16.FloatToHalf(d));
        for (int j = 0; j < 32; j++)
            block[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    private static void QuantizeQ4_0Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        // The signed value of largest magnitude maps to -8, so the full 4-bit range is used on that side.
        float amax = 0, max = 0;
        foreach (var v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteUInt16LittleEndian(block, Fp16.FloatToHalf(d));
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
            int hi = Math.Min(15, (int)(sbyte)(x[j + 16] * id + 8.5f));
            block[2 + j] = (byte)(lo | (hi << 4));
        }
    }
}
