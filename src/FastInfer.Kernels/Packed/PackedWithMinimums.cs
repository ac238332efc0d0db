using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// A packed format with a per-row minimum (Q4_1, Q5_1): the quants laid out as the format without one,
/// <typeparamref name="TQuants"/> (<see cref="PackedQ4_0"/>, <see cref="PackedQ5_0"/>), but read without its zero point
/// (0..15, 0..31), then the eight rows' minimums m as F16, converted like the row scales (<see cref="PackedScales"/>).
/// ggml's block is the one without a minimum with an F16 m inserted after its F16 d, so the block from byte 2 on packs as
/// a <typeparamref name="TQuants"/> block (whose own d, at its byte 0, is not read: the layout keeps the scales apart).
/// x = d·q + m, so a block's dot product with an 8-bit activation block (scale d<sub>a</sub>, quants a) is
/// d·d<sub>a</sub>·Σq·a + m·s: the integer Σq·a as for <typeparamref name="TQuants"/>, and the minimum term with
/// s = d<sub>a</sub>·Σa as ggml's Q8_1 block stores it, the same for every row.
/// </summary>
internal readonly unsafe struct PackedWithMinimums<TQuants> : IPackedFormat where TQuants : struct, IPackedFormat
{
    private const int GgmlMinimumOffset = 2;

    /// <summary>Where a group block's eight minimums start: after the quants.</summary>
    public static int MinimumOffset => TQuants.QuantBytesPerBlock;

    public static GgmlType Type => TQuants.Type switch
    {
        GgmlType.Q4_0 => GgmlType.Q4_1,
        GgmlType.Q5_0 => GgmlType.Q5_1,
        var other => throw new NotSupportedException($"{other} has no format with a minimum"),
    };

    public static int QuantBytesPerBlock => MinimumOffset + PackedLayout.GroupRows * sizeof(ushort);
    public static int ZeroPoint => 0;
    public static int MaxQuant => TQuants.MaxQuant;
    public static bool HasMinimum => true;

    /// <summary>Whether a ggml block's d and m are both finite.</summary>
    public static bool HasFiniteScales(byte* ggmlBlock)
        => TQuants.HasFiniteScales(ggmlBlock) && PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(ggmlBlock + GgmlMinimumOffset));

    public static void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock)
    {
        TQuants.PackBlock(ggmlBlock + GgmlMinimumOffset, lane, groupBlock);
        Unsafe.WriteUnaligned(groupBlock + MinimumOffset + 2 * lane, Unsafe.ReadUnaligned<ushort>(ggmlBlock + GgmlMinimumOffset));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Minimums(byte* groupBlock) => PackedScales.Load(groupBlock + MinimumOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7)
        => TQuants.Unpack(groupBlock, out w0, out w1, out w2, out w3, out w4, out w5, out w6, out w7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quad(byte* groupBlock, int k) => TQuants.Quad(groupBlock, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3)
        => TQuants.UnpackHalf(groupBlock, half, out w0, out w1, out w2, out w3);
}
