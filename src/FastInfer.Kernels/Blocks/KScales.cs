namespace FastInfer.Kernels.Blocks;

/// <summary>
/// The 12-byte scale field of Q4_K and Q5_K: eight 6-bit scales and eight 6-bit mins (ggml's get_scale_min_k4 packing).
/// Bytes 0–3 hold scales 0–3 in their low 6 bits, bytes 4–7 mins 0–3; bytes 8–11 hold the low 4 bits of scales 4–7
/// (low nibble) and mins 4–7 (high nibble), whose top 2 bits sit in the spare top bits of bytes 0–3 and 4–7.
/// </summary>
public unsafe struct KScales
{
    public fixed byte Scale[8];
    public fixed byte Min[8];

    public static KScales Unpack(byte* q)
    {
        KScales s;
        for (int j = 0; j < 4; j++)
        {
            s.Scale[j] = (byte)(q[j] & 63);
            s.Min[j] = (byte)(q[j + 4] & 63);
            s.Scale[j + 4] = (byte)((q[j + 8] & 0x0F) | ((q[j] >> 6) << 4));
            s.Min[j + 4] = (byte)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
        }
        return s;
    }

    /// <summary>The inverse of <see cref="Unpack"/>; values above 63 are a caller error.</summary>
    public static void Pack(ReadOnlySpan<byte> scales, ReadOnlySpan<byte> mins, byte* q)
    {
        for (int j = 0; j < 4; j++)
        {
            q[j] = (byte)((scales[j] & 63) | ((scales[j + 4] >> 4) << 6));
            q[j + 4] = (byte)((mins[j] & 63) | ((mins[j + 4] >> 4) << 6));
            q[j + 8] = (byte)((scales[j + 4] & 0x0F) | ((mins[j + 4] & 0x0F) << 4));
        }
    }

    /// <summary>Σ min_j · (activation sum of group j), the integer the minimums subtract.</summary>
    public int MinTimesSums(byte* activation)
    {
        int sum = 0;
        for (int j = 0; j < 8; j++)
            sum += Min[j] * (BlockQ8_K.GroupSum(activation, 2 * j) + BlockQ8_K.GroupSum(activation, 2 * j + 1));
        return sum;
    }
}
