using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Blocks.Simd;

/// <summary>Splits packed 4-bit (and 2-bit) fields into one byte each.</summary>
internal static class Nibbles
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> v) => v & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> v)
        => Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Low(Vector128<byte> v) => v & Vector128.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> High(Vector128<byte> v)
        => Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);

    /// <summary>Bits [shift, shift+bits) of every byte, moved to position <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Field(Vector256<byte> v, int shift, byte mask, int to)
        => Vector256.ShiftLeft((Vector256.ShiftRightLogical(v.AsUInt16(), shift).AsByte() & Vector256.Create(mask)).AsUInt16(), to).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Field(Vector128<byte> v, int shift, byte mask, int to)
        => Vector128.ShiftLeft((Vector128.ShiftRightLogical(v.AsUInt16(), shift).AsByte() & Vector128.Create(mask)).AsUInt16(), to).AsByte();

    /// <summary>
    /// The 32 bytes at <paramref name="p"/> in both 256-bit halves, shifted right by <paramref name="lowShift"/> in the low
    /// half and <paramref name="highShift"/> in the high half (a broadcast load and one variable shift), then masked.
    /// With shifts 0 and 4 and mask 0x0F this unpacks 32 bytes of nibbles into 64 quants: low nibbles, then high.
    /// The broadcast is written as a 256-bit load placed in both halves: .NET 10's optimized code for
    /// Avx512F.BroadcastVector256ToVector512(pointer) produced wrong upper lanes here (checked against the scalar dot).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<byte> Spread(byte* p, ulong lowShift, ulong highShift, byte mask)
    {
        var half = Vector256.Load((ulong*)p);
        var both = Vector512.Create(half, half);
        var shifts = Vector512.Create(lowShift, lowShift, lowShift, lowShift, highShift, highShift, highShift, highShift);
        return Avx512F.ShiftRightLogicalVariable(both, shifts).AsByte() & Vector512.Create(mask);
    }

    /// <summary>
    /// 32 16-bit lanes: lanes 8k..8k+7 hold w0, w1, w2, w3 for k = 0, 1, 2, 3. Written as eight 64-bit constants so
    /// the JIT emits one constant load (it builds a Vector512 made of two Vector256 halves at run time instead).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Words(int w0, int w1, int w2, int w3)
    {
        ulong a = (ulong)(ushort)w0 * 0x0001000100010001UL, b = (ulong)(ushort)w1 * 0x0001000100010001UL;
        ulong c = (ulong)(ushort)w2 * 0x0001000100010001UL, d = (ulong)(ushort)w3 * 0x0001000100010001UL;
        return Vector512.Create(a, a, b, b, c, c, d, d).AsInt16();
    }
}
