using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Blocks.Simd;

/// <summary>
/// Q5_0's and Q5_1's qh word (bit j is the fifth bit of element j) spread to one byte per element, 0x10 where the bit is
/// set: ready to OR into the element's nibble.
/// </summary>
internal static class FifthBits
{
    /// <summary>Byte i of the result is 0x10 where bit <paramref name="first"/>+i of qh is set (16 bits to 16 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Bytes128(uint qh, int first)
    {
        var bytes = Vector128.Create(qh >> first).AsByte();
        var spread = Vector128.Shuffle(bytes, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        var bit = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector128.Equals(spread & bit, bit) & Vector128.Create((byte)0x10);
    }

    /// <summary>All 32 bits to 32 bytes: every 128-bit lane holds the four qh bytes, vpshufb picks byte i/8 for byte i,
    /// and a per-byte bit mask tests bit i%8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Bytes256(uint qh)
    {
        var bytes = Vector256.Create(qh).AsByte();
        var spread = Avx2.Shuffle(bytes, Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var bit = Vector256.Create(0x8040201008040201ul).AsByte();
        return Vector256.Equals(spread & bit, bit) & Vector256.Create((byte)0x10);
    }
}
