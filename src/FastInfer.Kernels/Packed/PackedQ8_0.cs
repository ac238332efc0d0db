using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>Q8_0 packed: each quant q stored as q+128 (zero point 128), row r's columns 4k..4k+3 in lane r of vector k.</summary>
internal readonly unsafe struct PackedQ8_0 : IPackedFormat
{
    public static GgmlType Type => GgmlType.Q8_0;
    public static int QuantBytesPerBlock => 8 * 32;
    public static int ZeroPoint => 128;
    public static int MaxQuant => 255;

    public static void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock)
    {
        for (int k = 0; k < 8; k++)
            Unsafe.WriteUnaligned(groupBlock + 32 * k + 4 * lane, Unsafe.ReadUnaligned<uint>(ggmlBlock + 2 + 4 * k) ^ 0x80808080u);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7)
    {
        w0 = Vector256.Load(groupBlock); w1 = Vector256.Load(groupBlock + 32);
        w2 = Vector256.Load(groupBlock + 64); w3 = Vector256.Load(groupBlock + 96);
        w4 = Vector256.Load(groupBlock + 128); w5 = Vector256.Load(groupBlock + 160);
        w6 = Vector256.Load(groupBlock + 192); w7 = Vector256.Load(groupBlock + 224);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quad(byte* groupBlock, int k) => Vector256.Load(groupBlock + 32 * k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3)
    {
        byte* at = groupBlock + half * 128;
        w0 = Vector256.Load(at); w1 = Vector256.Load(at + 32); w2 = Vector256.Load(at + 64); w3 = Vector256.Load(at + 96);
    }
}
