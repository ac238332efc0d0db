using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// The 12-byte scale field of Q4_K and Q5_K: eight 6-bit scales and eight 6-bit mins (ggml's get_scale_min_k4 packing).
/// Bytes 0–3 hold scales 0–3 in their low 6 bits, bytes 4–7 mins 0–3; bytes 8–11 hold the low 4 bits of scales 4–7
/// (low nibble) and mins 4–7 (high nibble), whose top 2 bits sit in the spare top bits of bytes 0–3 and 4–7.
/// Unpacked with 32-bit word arithmetic into one byte per value, held in two registers (no stack buffer in the hot loop).
/// </summary>
public readonly struct KScales
{
    /// <summary>Scale j in byte j.</summary>
    public readonly ulong Scales;
    /// <summary>Min j in byte j.</summary>
    public readonly ulong Mins;

    private KScales(ulong scales, ulong mins)
    {
        Scales = scales;
        Mins = mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe KScales Unpack(byte* q)
    {
        uint w0 = Unsafe.ReadUnaligned<uint>(q), w1 = Unsafe.ReadUnaligned<uint>(q + 4), w2 = Unsafe.ReadUnaligned<uint>(q + 8);
        uint scalesLow = w0 & 0x3f3f3f3f, minsLow = w1 & 0x3f3f3f3f;
        uint scalesHigh = (w2 & 0x0f0f0f0f) | (((w0 >> 6) & 0x03030303) << 4);
        uint minsHigh = ((w2 >> 4) & 0x0f0f0f0f) | (((w1 >> 6) & 0x03030303) << 4);
        return new KScales(scalesLow | (ulong)scalesHigh << 32, minsLow | (ulong)minsHigh << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Scale(int j) => (int)(byte)(Scales >> (8 * j));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Min(int j) => (int)(byte)(Mins >> (8 * j));

    /// <summary>The inverse of <see cref="Unpack"/>; values above 63 are a caller error.</summary>
    public static unsafe void Pack(ReadOnlySpan<byte> scales, ReadOnlySpan<byte> mins, byte* q)
    {
        for (int j = 0; j < 4; j++)
        {
            q[j] = (byte)((scales[j] & 63) | ((scales[j + 4] >> 4) << 6));
            q[j + 4] = (byte)((mins[j] & 63) | ((mins[j + 4] >> 4) << 6));
            q[j + 8] = (byte)((scales[j + 4] & 0x0F) | ((mins[j + 4] & 0x0F) << 4));
        }
    }

    /// <summary>Σ min_j · (activation sum of group j), the integer the minimums subtract.</summary>
    public unsafe int MinTimesSums(byte* activation)
    {
        int sum = 0;
        for (int j = 0; j < 8; j++)
            sum += Min(j) * (BlockQ8_K.GroupSum(activation, 2 * j) + BlockQ8_K.GroupSum(activation, 2 * j + 1));
        return sum;
    }

    /// <summary>Lane j: min_j · (activation sum of group j); their total is <see cref="MinTimesSums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe Vector256<int> MinTerms256(byte* activation)
    {
        var pairs = Avx2.MultiplyAddAdjacent(Vector256.Load((short*)(activation + BlockQ8_K.SumOffset)), Vector256.Create((short)1));
        return pairs * Avx2.ConvertToVector256Int32(Vector128.CreateScalar(Mins).AsByte());
    }
}
