using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The two halves (chunks 0–1 and 2–3) of a Q4_K or Q5_K super-block of two groups at once, each a method of its own
/// (inlined whole into the decode walk, a pair's int16 sums outnumber the locals the JIT tracks there and go through the
/// stack): the part that differs per format in <see cref="PackedScaleMinDot.SuperBlockPair{THalves}"/>.
/// </summary>
internal unsafe interface IScaleMinPairHalves
{
    /// <summary>Group A's scaled sum of chunks 0 and 1 (group B's in <paramref name="sumB"/>), against the activations at
    /// <paramref name="x"/>, with each group's unpacked low scales.</summary>
    static abstract Vector256<int> First(byte* pa, byte* pb, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB);

    /// <summary><see cref="First"/> for chunks 2 and 3, with the high scales.</summary>
    static abstract Vector256<int> Second(byte* pa, byte* pb, byte* x, Vector256<int> scalesA, Vector256<int> scalesB, out Vector256<int> sumB);
}
