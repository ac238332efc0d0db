using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>How attention reads one cached K or V row of a given element type (F32, F16).</summary>
internal unsafe interface IKvRow
{
    /// <summary>Bytes per element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>q · row over <paramref name="n"/> elements.</summary>
    static abstract float Dot(float* q, byte* row, int n, IsaPath path);

    /// <summary>dst[0..n) = row[0..n) as floats (a copy for F32).</summary>
    static abstract void Widen(byte* row, float* dst, int n, IsaPath path);

    /// <summary>o += w · row over <paramref name="n"/> elements.</summary>
    static abstract void AddScaled(float* o, byte* row, float w, int n, IsaPath path);

    /// <summary>
    /// The factor by which <see cref="LoadScaled"/> values fall short of the row's true values (a power of two, so a
    /// product with a partner scaled up by it is the true product exactly).
    /// </summary>
    static abstract float ShortfallScale { get; }

    /// <summary>Elements [element, element + 16) as floats divided by <see cref="ShortfallScale"/> (AVX-512 only).</summary>
    static abstract Vector512<float> LoadScaled(byte* row, int element);

    /// <summary>Elements [element, element + 8) as floats divided by <see cref="ShortfallScale"/> (AVX2 and up).</summary>
    static abstract Vector256<float> LoadScaled256(byte* row, int element);

    /// <summary>
    /// Whether <paramref name="count"/> rows of <paramref name="n"/> elements (n a multiple of 8) at <paramref name="keys"/> or
    /// at <paramref name="values"/>, <paramref name="strideBytes"/> apart, hold a value <see cref="LoadScaled"/> gets wrong
    /// (infinities and NaNs of a half cache; never for F32).
    /// </summary>
    static abstract bool HasUnscalable(byte* keys, byte* values, long strideBytes, int count, int n);
}
