using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q4_0 packed: the nibbles stay as stored (0..15, zero point 8). ggml byte j holds column j (low nibble) and
/// column j+16 (high nibble), so moving row r's bytes 4k..4k+3 into lane r of vector k gives, after one load, the
/// columns 4k.. in the low nibbles and 16+4k.. in the high nibbles: eight column vectors from four loads.
/// </summary>
internal readonly unsafe struct PackedQ4_0 : IPackedFormat
{
    public static GgmlType Type => GgmlType.Q4_0;
    public static int QuantBytesPerBlock => 4 * 32;
    public static int ZeroPoint => 8;
    public static int MaxQuant => 15;

    public static void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock)
    {
        for (int k = 0; k < 4; k++)
            Unsafe.WriteUnaligned(groupBlock + 32 * k + 4 * lane, Unsafe.ReadUnaligned<uint>(ggmlBlock + 2 + 4 * k));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7)
    {
        var v0 = Vector256.Load(groupBlock);
        var v1 = Vector256.Load(groupBlock + 32);
        var v2 = Vector256.Load(groupBlock + 64);
        var v3 = Vector256.Load(groupBlock + 96);
        w0 = Nibbles.Low(v0); w1 = Nibbles.Low(v1); w2 = Nibbles.Low(v2); w3 = Nibbles.Low(v3);
        w4 = Nibbles.High(v0); w5 = Nibbles.High(v1); w6 = Nibbles.High(v2); w7 = Nibbles.High(v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quad(byte* groupBlock, int k)
        => k < 4 ? Nibbles.Low(Vector256.Load(groupBlock + 32 * k)) : Nibbles.High(Vector256.Load(groupBlock + 32 * (k - 4)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3)
    {
        var v0 = Vector256.Load(groupBlock);
        var v1 = Vector256.Load(groupBlock + 32);
        var v2 = Vector256.Load(groupBlock + 64);
        var v3 = Vector256.Load(groupBlock + 96);
        if (half == 0)
        {
            w0 = Nibbles.Low(v0); w1 = Nibbles.Low(v1); w2 = Nibbles.Low(v2); w3 = Nibbles.Low(v3);
        }
        else
        {
            w0 = Nibbles.High(v0); w1 = Nibbles.High(v1); w2 = Nibbles.High(v2); w3 = Nibbles.High(v3);
        }
    }
}
