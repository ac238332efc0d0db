using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Rotary position embedding with its cos/sin values computed once at load for every position
/// up to the context length, so applying it per token is a table lookup.
/// </summary>
/// <remarks>
/// Each position's row holds rotaryDim cosines and signed sines laid out like the head itself
/// (interleaved: c0 c0 c1 c1 … and −s0 +s0 −s1 +s1 …; half-split: c0…c(h−1) c0…c(h−1) and −s… +s…),
/// so a vector rotates its lanes as x·cos + partner(x)·sin with one FMA. Every path, the scalar tail
/// included, computes each element with the same FMA, so results do not depend on the path.
/// </remarks>
public sealed class RopeTable
{
    private readonly float[] _cos;
    private readonly float[] _sin;

    /// <param name="headDim">elements per head.</param>
    /// <param name="rotaryDim">leading elements of each head that rotate (usually all of them).</param>
    /// <param name="maxPositions">context length.</param>
    /// <param name="theta">base frequency (10000 for Llama 2, 500000 for Llama 3, 1e6 for Mixtral).</param>
    public RopeTable(int headDim, int rotaryDim, int maxPositions, float theta, RopeLayout layout)
    {
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)
            throw new ArgumentException($"rotary dimension {rotaryDim} must be even and at most the head size {headDim}");
        if (maxPositions <= 0)
            throw new ArgumentException($"context length {maxPositions} must be positive");
        if (!(theta > 0) || float.IsInfinity(theta))
            throw new ArgumentException($"RoPE base frequency {theta} must be positive and finite");
        if (!Enum.IsDefined(layout))
            throw new ArgumentException($"unknown RoPE layout {layout}");
        HeadDim = headDim;
        RotaryDim = rotaryDim;
        MaxPositions = maxPositions;
        Layout = layout;
        int pairs = rotaryDim / 2;
        _cos = new float[(long)maxPositions * rotaryDim];
        _sin = new float[(long)maxPositions * rotaryDim];
        for (int p = 0; p < maxPositions; p++)
        {
            for (int i = 0; i < pairs; i++)
            {
                // Angles in double: at long contexts float angles drift far enough to change logits.
                double frequency = 1.0 / Math.Pow(theta, 2.0 * i / rotaryDim);
                double angle = p * frequency;
                float cos = (float)Math.Cos(angle), sin = (float)Math.Sin(angle);
                long row = (long)p * rotaryDim;
                (long first, long second) = layout == RopeLayout.Interleaved ? (row + 2 * i, row + 2 * i + 1) : (row + i, row + i + pairs);
                _cos[first] = cos;
                _cos[second] = cos;
                _sin[first] = -sin;
                _sin[second] = sin;
            }
        }
    }

    public int HeadDim { get; }
    public int RotaryDim { get; }
    public int MaxPositions { get; }
    public RopeLayout Layout { get; }

    /// <summary>Rotates every head in <paramref name="heads"/> (headCount × HeadDim values) for one position.</summary>
    public void Apply(Span<float> heads, int headCount, int position) => Apply(heads, headCount, position, KernelIsa.Active);

    public void Apply(Span<float> heads, int headCount, int position, IsaPath path)
    {
        if ((uint)position >= (uint)MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is past the context of {MaxPositions}");
        if (headCount < 0 || heads.Length != (long)headCount * HeadDim)
            throw new ArgumentException($"{heads.Length} values are not {headCount} heads of {HeadDim}");
        var cos = _cos.AsSpan(position * RotaryDim, RotaryDim);
        var sin = _sin.AsSpan(position * RotaryDim, RotaryDim);
        for (int h = 0; h < headCount; h++)
        {
            var head = heads.Slice(h * HeadDim, RotaryDim);
            if (Layout == RopeLayout.Interleaved)
                RotateInterleaved(head, cos, sin, path);
            else
                RotateHalves(head, cos, sin, path);
        }
    }

    private static void RotateInterleaved(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, IsaPath path)
    {
        ref float x = ref MemoryMarshal.GetReference(head);
        ref float c = ref MemoryMarshal.GetReference(cos);
        ref float s = ref MemoryMarshal.GetReference(sin);
        nuint n = (nuint)head.Length, i = 0;
        if (path >= IsaPath.Avx512)
        {
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref x, i);
                Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref c, i), Vector512.Shuffle(v, swap) * Vector512.LoadUnsafe(ref s, i)).StoreUnsafe(ref x, i);
            }
        }
        if (path >= IsaPath.Avx2)
        {
            var swap = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref x, i);
                Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref c, i), Vector256.Shuffle(v, swap) * Vector256.LoadUnsafe(ref s, i)).StoreUnsafe(ref x, i);
            }
        }
        if (path >= IsaPath.V128)
        {
            var swap = Vector128.Create(1, 0, 3, 2);
            for (; i + 4 <= n; i += 4)
            {
                var v = Vector128.LoadUnsafe(ref x, i);
                Vector128.FusedMultiplyAdd(v, Vector128.LoadUnsafe(ref c, i), Vector128.Shuffle(v, swap) * Vector128.LoadUnsafe(ref s, i)).StoreUnsafe(ref x, i);
            }
        }
        for (; i < n; i += 2)
            RotatePair(ref Unsafe.Add(ref x, i), ref Unsafe.Add(ref x, i + 1), Unsafe.Add(ref c, i), Unsafe.Add(ref s, i + 1));
    }

    private static void RotateHalves(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, IsaPath path)
    {
        ref float lo = ref MemoryMarshal.GetReference(head);
        ref float c = ref MemoryMarshal.GetReference(cos);
        ref float s = ref MemoryMarshal.GetReference(sin);
        nuint half = (nuint)head.Length / 2, i = 0;
        ref float hi = ref Unsafe.Add(ref lo, half);
        ref float sHi = ref Unsafe.Add(ref s, half);
        if (path >= IsaPath.Avx512)
        {
            for (; i + 16 <= half; i += 16)
            {
                var a = Vector512.LoadUnsafe(ref lo, i);
                var b = Vector512.LoadUnsafe(ref hi, i);
                var ci = Vector512.LoadUnsafe(ref c, i);
                var si = Vector512.LoadUnsafe(ref sHi, i);
                Vector512.FusedMultiplyAdd(a, ci, b * -si).StoreUnsafe(ref lo, i);
                Vector512.FusedMultiplyAdd(b, ci, a * si).StoreUnsafe(ref hi, i);
            }
        }
        if (path >= IsaPath.Avx2)
        {
            for (; i + 8 <= half; i += 8)
            {
                var a = Vector256.LoadUnsafe(ref lo, i);
                var b = Vector256.LoadUnsafe(ref hi, i);
                var ci = Vector256.LoadUnsafe(ref c, i);
                var si = Vector256.LoadUnsafe(ref sHi, i);
                Vector256.FusedMultiplyAdd(a, ci, b * -si).StoreUnsafe(ref lo, i);
                Vector256.FusedMultiplyAdd(b, ci, a * si).StoreUnsafe(ref hi, i);
            }
        }
        if (path >= IsaPath.V128)
        {
            for (; i + 4 <= half; i += 4)
            {
                var a = Vector128.LoadUnsafe(ref lo, i);
                var b = Vector128.LoadUnsafe(ref hi, i);
                var ci = Vector128.LoadUnsafe(ref c, i);
                var si = Vector128.LoadUnsafe(ref sHi, i);
                Vector128.FusedMultiplyAdd(a, ci, b * -si).StoreUnsafe(ref lo, i);
                Vector128.FusedMultiplyAdd(b, ci, a * si).StoreUnsafe(ref hi, i);
            }
        }
        for (; i < half; i++)
            RotatePair(ref Unsafe.Add(ref lo, i), ref Unsafe.Add(ref hi, i), Unsafe.Add(ref c, i), Unsafe.Add(ref sHi, i));
    }

    /// <summary>(a, b) ← (a·c − b·s, b·c + a·s), with the vector paths' exact FMA shape.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RotatePair(ref float a, ref float b, float cos, float sin)
    {
        float x = a, y = b;
        a = MathF.FusedMultiplyAdd(x, cos, y * -sin);
        b = MathF.FusedMultiplyAdd(y, cos, x * sin);
    }
}
