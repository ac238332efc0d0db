using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// A ggml type that packs into the <see cref="PackedLayout"/>: its quants become unsigned bytes with a zero point,
/// so the exact signed dot product is vpdpbusd(w, a) − <see cref="ZeroPoint"/>·Σa. A format with a per-row minimum
/// (<see cref="HasMinimum"/>, Q4_1's x = d·q + m) adds m·s, s = d<sub>a</sub>·Σa, to each block's term instead.
/// </summary>
internal unsafe interface IPackedFormat
{
    static abstract GgmlType Type { get; }

    /// <summary>Bytes one block of one group (eight rows) takes in the quant section.</summary>
    static abstract int QuantBytesPerBlock { get; }

    static abstract int ZeroPoint { get; }

    /// <summary>The largest stored (unsigned) quant: it bounds how many vpmaddubsw results a lane may sum in int16
    /// (<see cref="MaddubsPackedStep.Int16Run"/>).</summary>
    static abstract int MaxQuant { get; }

    /// <summary>Whether each block carries a minimum per row, which <see cref="Minimums"/> reads.</summary>
    static virtual bool HasMinimum => false;

    /// <summary>The eight rows' minimums of a group block, each 2^-112 times its value as the row scales are
    /// (<see cref="PackedScales.Load"/>); zero for formats without one (<see cref="HasMinimum"/>).</summary>
    static virtual Vector256<float> Minimums(byte* groupBlock) => default;

    /// <summary>Whether a ggml block's F16 scales (its d, and its m where it has one) are finite, which the packed kernels'
    /// conversion needs (<see cref="PackedScales"/>).</summary>
    static virtual bool HasFiniteScales(byte* ggmlBlock) => PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(ggmlBlock));

    /// <summary>Writes one ggml block of row <paramref name="lane"/> into its group's quant bytes for that block.</summary>
    static abstract void PackBlock(byte* ggmlBlock, int lane, byte* groupBlock);

    /// <summary>The eight column vectors of one group block: w<sub>k</sub> lane r = row r's unsigned columns 4k..4k+3.</summary>
    static abstract void Unpack(byte* groupBlock,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3,
        out Vector256<byte> w4, out Vector256<byte> w5, out Vector256<byte> w6, out Vector256<byte> w7);

    /// <summary>One of <see cref="Unpack"/>'s vectors alone: w<sub>k</sub> (columns 4k..4k+3), for kernels that walk a
    /// block column quad by column quad to keep few weight vectors live.</summary>
    static abstract Vector256<byte> Quad(byte* groupBlock, int k);

    /// <summary>Half of <see cref="Unpack"/>: w<sub>4h</sub>..w<sub>4h+3</sub> (columns 16h..16h+15).</summary>
    static abstract void UnpackHalf(byte* groupBlock, int half,
        out Vector256<byte> w0, out Vector256<byte> w1, out Vector256<byte> w2, out Vector256<byte> w3);
}
