using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Which way a packed K-quant format's field moves go: each format states its layout once, as a list of moves between a
/// ggml block's fields and their places in a packed lane, and gets packing (<see cref="ToPacked"/>) and reading rows back
/// (<see cref="ToBlock"/>) from it, each compiled on its own.
/// </summary>
internal unsafe interface ILaneCopy
{
    /// <summary>The 4-byte word at <paramref name="block"/> and at <paramref name="packed"/>.</summary>
    static abstract void Word(byte* block, byte* packed);

    /// <summary>The 2-byte half (an F16 scale) at <paramref name="block"/> and at <paramref name="packed"/>.</summary>
    static abstract void Half(byte* block, byte* packed);
}

internal readonly unsafe struct ToPacked : ILaneCopy
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Word(byte* block, byte* packed) => Unsafe.WriteUnaligned(packed, Unsafe.ReadUnaligned<uint>(block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Half(byte* block, byte* packed) => Unsafe.WriteUnaligned(packed, Unsafe.ReadUnaligned<ushort>(block));
}

internal readonly unsafe struct ToBlock : ILaneCopy
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Word(byte* block, byte* packed) => Unsafe.WriteUnaligned(block, Unsafe.ReadUnaligned<uint>(packed));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Half(byte* block, byte* packed) => Unsafe.WriteUnaligned(block, Unsafe.ReadUnaligned<ushort>(packed));
}
