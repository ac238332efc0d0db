using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// A 16-bit float format (F16, BF16) read two elements per 32-bit lane: the element at the even index sits in the low
/// half of the lane, the odd one in the high half. Widening each half in place costs fewer operations than widening
/// 16-bit lanes to 32 bits, and leaves the even and odd elements in separate vectors (see <see cref="HalfFloatRows"/>).
/// The pair forms may return each element divided by <see cref="PairScale"/>, a power of two the activations are
/// multiplied by instead (see <see cref="BlockF16"/>).
/// </summary>
public interface IHalfFloatBlock : IFloatBlock
{
    /// <summary>True when some encodings (infinities, NaNs) are not widened exactly by the pair forms and
    /// <see cref="SpecialMagnitude"/> tells which ones.</summary>
    static abstract bool HasSpecials { get; }

    /// <summary>Encodings whose magnitude bits (sign cleared) are at least this are the specials.</summary>
    static abstract short SpecialMagnitude { get; }

    /// <summary>The pair forms return element / PairScale; activations met by them must be multiplied by it.</summary>
    static abstract float PairScale { get; }

    /// <summary>The low (even-index) element of each lane as a single, divided by <see cref="PairScale"/>.</summary>
    static abstract Vector512<float> Even(Vector512<int> pairs);

    /// <summary>The high (odd-index) element of each lane as a single, divided by <see cref="PairScale"/>.</summary>
    static abstract Vector512<float> Odd(Vector512<int> pairs);

    static abstract Vector256<float> Even(Vector256<int> pairs);
    static abstract Vector256<float> Odd(Vector256<int> pairs);
}
