using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The fifth bit of a packed scale-min K-quant's quants (Q5_K), or none (Q4_K): what <see cref="PackedScaleMinDot"/> ORs
/// into the nibbles of quant vector k of chunk c. ggml's Q5_K keeps one qh byte per column of a 64-column chunk position,
/// bit 2c for the chunk's low sub-block and bit 2c+1 for its high one.
/// </summary>
internal unsafe interface IFifthBits
{
    /// <summary>The largest quant with these bits (15 without, 31 with): it bounds the int16 runs of the AVX2 step
    /// (<see cref="MaddubsPackedStep.Int16Run"/>).</summary>
    static abstract int MaxQuant { get; }

    /// <summary>The eight rows' fifth-bit bytes for quant vector <paramref name="k"/> (any chunk) of the super-block at <paramref name="p"/>.</summary>
    static abstract Vector256<byte> Load(byte* p, int k);

    /// <summary>Bit 4 of each byte: the fifth bit of the low-nibble quant of chunk <paramref name="chunk"/>.</summary>
    static abstract Vector256<byte> Low(Vector256<byte> bits, int chunk);

    /// <summary>Bit 4 of each byte: the fifth bit of the high-nibble quant of chunk <paramref name="chunk"/>.</summary>
    static abstract Vector256<byte> High(Vector256<byte> bits, int chunk);
}

/// <summary>Q4_K: four-bit quants, nothing to add.</summary>
internal readonly unsafe struct NoFifthBits : IFifthBits
{
    public static int MaxQuant => 15;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* p, int k) => Vector256<byte>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> bits, int chunk) => Vector256<byte>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> bits, int chunk) => Vector256<byte>.Zero;
}
