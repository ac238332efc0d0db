using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
}
