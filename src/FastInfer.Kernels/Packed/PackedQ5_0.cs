using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Q5_0 packed: the nibbles as <see cref="PackedQ4_0"/> lays them out (vector k, byte b = column 4k+b), then one 32-bit
/// word per row holding the 32 fifth bits reordered so that bit 8b+k is column 4k+b's: vector k's fifth bits are then
/// one shift and one mask away, landing in bit 4 of each byte. Quants are 0..31 with zero point 16, and a group block
/// is the eight ggml blocks' size (8 × 22 bytes).
/// </summary>
internal readonly unsafe struct PackedQ5_0 : IPackedFormat
{
    public const int HighBitsOffset = 4 * 32;

    public static GgmlType Type => GgmlType.Q5_0;
    public static int QuantBytesPerBlock => HighBitsOffset + 32;
    public static int ZeroPoint => 16;
    public static int MaxQuant => 31;

    public static void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock)
    {
        for (int k = 0; k < 4; k++)
            Unsafe.WriteUnaligned(groupBlock + 32 * k + 4 * lane, Unsafe.ReadUnaligned<uint>(ggmlBlock + 6 + 4 * k));
        uint qh = Unsafe.ReadUnaligned<uint>(ggmlBlock + 2);
        uint reordered = 0;
        for (int k = 0; k < 8; k++)
            for (int b = 0; b < 4; b++)
                reordered |= ((qh >> (4 * k + b)) & 1) << (8 * b + k);
        Unsafe.WriteUnaligned(groupBlock + HighBitsOffset + 4 * lane, reordered);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7)
    {
        UnpackHalf(groupBlock, 0, out w0, out w1, out w2, out w3);
        UnpackHalf(groupBlock, 1, out w4, out w5, out w6, out w7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quad(byte* groupBlock, int k)
        => PackedQ4_0.Quad(groupBlock, k) | FifthBits(Vector256.Load((uint*)(groupBlock + HighBitsOffset)), k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3)
    {
        PackedQ4_0.UnpackHalf(groupBlock, half, out w0, out w1, out w2, out w3);
        var bits = Vector256.Load((uint*)(groupBlock + HighBitsOffset));
        w0 |= FifthBits(bits, 4 * half); w1 |= FifthBits(bits, 4 * half + 1);
        w2 |= FifthBits(bits, 4 * half + 2); w3 |= FifthBits(bits, 4 * half + 3);
    }

    /// <summary>Vector k's fifth bits: bit k of each byte of the reordered word, moved to bit 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBits(Vector256<uint> bits, int k)
    {
        var moved = k <= 4 ? Vector256.ShiftLeft(bits, 4 - k) : Vector256.ShiftRightLogical(bits, k - 4);
        return (moved & Vector256.Create(0x10101010u)).AsByte();
    }
}
