using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Quantization;

/// <summary>
/// Quantizes a row of F32 activations to the 8-bit activation blocks of the integer kernels, once per token per call.
/// Vectorized for Q8_0 and Q8_K with results bit-identical to the blocks' scalar <c>Quantize</c> (same max, same
/// reciprocal, same rounding), so every kernel path sees the same activations.
/// </summary>
internal static unsafe class ActivationQuantizer
{
    public static void Quantize<TA>(float* x, byte* destination, int blocks) where TA : struct, IQuantizableBlock
    {
        if (Vector256.IsHardwareAccelerated && typeof(TA) == typeof(BlockQ8_0))
        {
            for (int b = 0; b < blocks; b++)
                Q8_0(x + b * 32, destination + b * BlockQ8_0.ByteCount);
            return;
        }
        if (Vector256.IsHardwareAccelerated && typeof(TA) == typeof(BlockQ8_K))
        {
            for (int b = 0; b < blocks; b++)
                Q8_K(x + b * 256, destination + b * BlockQ8_K.ByteCount);
            return;
        }
        Quantizer.Encode<TA>(x, destination, blocks * TA.Elements);
    }

    /// <summary>
    /// Quantizes <paramref name="tokens"/> rows of <paramref name="columns"/> floats, row t to
    /// <paramref name="destination"/> + t·<paramref name="destinationRow"/>, the tokens split over <paramref name="pool"/>
    /// (each row on its own, so the bytes do not depend on the split): on one thread this step left the other core idle
    /// for a noticeable part of a prompt.
    /// </summary>
    public static void QuantizeTokens<TA>(float* x, int columns, byte* destination, long destinationRow, int tokens, ComputePool pool)
        where TA : struct, IQuantizableBlock
    {
        var job = new TokenRows<TA> { X = x, Columns = columns, Destination = destination, DestinationRow = destinationRow };
        pool.For(tokens, ref job, 1, (long)tokens * columns * sizeof(float));
    }

    private struct TokenRows<TA> : IRowJob where TA : struct, IQuantizableBlock
    {
        public float* X;
        public int Columns;
        public byte* Destination;
        public long DestinationRow;

        public readonly void Execute(int start, int end)
        {
            for (int t = start; t < end; t++)
                Quantize<TA>(X + (long)t * Columns, Destination + t * DestinationRow, Columns / TA.Elements);
        }
    }

    private static void Q8_0(float* x, byte* block)
    {
        if (!TryQ8_0Quants(x, out float d, out var q0, out var q1, out var q2, out var q3))
        {
            BlockQ8_0.Quantize(x, block); // the scalar reference: exact for NaN, infinite and tiny-scale blocks
            return;
        }
        PackQuants(q0, q1, q2, q3).Store((sbyte*)(block + 2));
        Unsafe.WriteUnaligned(block, Fp16.FloatToHalf(d));
    }

    /// <summary>
    /// 32 floats as a Q8_0 block holds them, for blocks of finite values: gives d = max|x| / 127 (before its rounding to
    /// F16) and the quants round(x / d), half away from zero, as four vectors of eight. False for a block with a NaN or an
    /// infinity, or whose d has no finite reciprocal: callers give those to the scalar reference (<see cref="BlockQ8_0.Quantize"/>). The packed kernels'
    /// activations (<see cref="Packed.PackedActivations"/>) take the same steps, so both layouts carry the same quants.
    /// </summary>
    /// <remarks>
    /// Finite blocks need no NaN or overflow lanes, so this takes the native steps: vmaxps, and rounding by truncating
    /// x/d plus the float just below ½ with x's sign (<see cref="RoundFiniteHalfAwayFromZero"/>). The portable Max and
    /// ConvertToInt32 spend several instructions per vector on such lanes, and made the step about a hundred cycles per
    /// block. Callers handle the other blocks out of line: a call on this path, even one returning the vectors by value,
    /// kept the quants in memory.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryQ8_0Quants(float* x, out float d,
        out Vector256<int> q0, out Vector256<int> q1, out Vector256<int> q2, out Vector256<int> q3)
    {
        var v0 = Vector256.Load(x);
        var v1 = Vector256.Load(x + 8);
        var v2 = Vector256.Load(x + 16);
        var v3 = Vector256.Load(x + 24);
        var max = Vector256.MaxNative(Vector256.MaxNative(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.MaxNative(Vector256.Abs(v2), Vector256.Abs(v3)));
        float m = MaxLane(max);
        d = m / 127f;
        float inverse = d != 0 ? 1f / d : 0f;
        // A NaN lane survives the sum (vmaxps may have dropped it); an infinity makes m non-finite.
        var any = (v0 + v1) + (v2 + v3);
        if (!(float.IsFinite(inverse) && float.IsFinite(m) && Vector256.EqualsAll(any, any)))
        {
            q0 = q1 = q2 = q3 = default;
            return false;
        }
        var id = Vector256.Create(inverse);
        q0 = RoundFiniteHalfAwayFromZero(v0 * id);
        q1 = RoundFiniteHalfAwayFromZero(v1 * id);
        q2 = RoundFiniteHalfAwayFromZero(v2 * id);
        q3 = RoundFiniteHalfAwayFromZero(v3 * id);
        return true;
    }

    /// <summary>
    /// Four vectors of quants in −128..127 as 32 bytes in order: on AVX2 two saturating packs and a dword permute (the
    /// portable Narrow masks each lane first, and took fourteen instructions).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> PackQuants(Vector256<int> q0, Vector256<int> q1, Vector256<int> q2, Vector256<int> q3)
    {
        if (!Avx2.IsSupported)
            return Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3));
        // Each pack works within 128-bit lanes, leaving the dwords as q0.lo q1.lo q2.lo q3.lo | q0.hi q1.hi q2.hi q3.hi.
        var bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(q0, q1), Avx2.PackSignedSaturate(q2, q3));
        return Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte();
    }

    /// <summary>The largest lane of a vector of finite non-negative values (or of any values, if a NaN lane need not win).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxLane(Vector256<float> max)
    {
        var half = Vector128.MaxNative(max.GetLower(), max.GetUpper());
        half = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>
    /// A Q8_K block, for blocks of finite values with the native steps of <see cref="TryQ8_0Quants"/> (vmaxps, and the
    /// truncating conversion of values Round has already made whole); other blocks take the scalar reference.
    /// </summary>
    private static void Q8_K(float* x, byte* block)
    {
        var max = Vector256<float>.Zero;
        var ordered = Vector256<float>.AllBitsSet;
        for (int i = 0; i < 256; i += 8)
        {
            var v = Vector256.Load(x + i);
            max = Vector256.MaxNative(max, Vector256.Abs(v));
            ordered &= Vector256.Equals(v, v); // vmaxps may drop a NaN lane; an infinity makes m non-finite
        }
        float m = MaxLane(max);
        float d = m / 127f;
        float inverse = d != 0 ? 1f / d : 0f;
        if (!(float.IsFinite(inverse) && float.IsFinite(m) && ordered.ExtractMostSignificantBits() == 0xFF))
        {
            BlockQ8_K.Quantize(x, block); // the scalar reference: exact for NaN, infinite and tiny-scale blocks
            return;
        }
        var id = Vector256.Create(inverse);
        Unsafe.WriteUnaligned(block, d);
        sbyte* q = (sbyte*)(block + BlockQ8_K.QuantOffset);
        short* sums = (short*)(block + BlockQ8_K.SumOffset);
        for (int g = 0; g < 16; g += 2)
        {
            float* group = x + 16 * g;
            var q0 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.Load(group) * id));
            var q1 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.Load(group + 8) * id));
            var q2 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.Load(group + 16) * id));
            var q3 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.Load(group + 24) * id));
            PackQuants(q0, q1, q2, q3).Store(q + 16 * g);
            sums[g] = (short)Vector256.Sum(q0 + q1);
            sums[g + 1] = (short)Vector256.Sum(q2 + q3);
        }
    }

    /// <summary>
    /// MathF.Round(v, AwayFromZero) per lane for finite |v| &lt; 2^23: truncation of v + 0.49999997 (the float just below ½) with v's sign. A tie
    /// n + ½ sums to within 2^-25 of n + 1 and rounds onto it; anything below a tie sums at least half an ulp below n + 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundFiniteHalfAwayFromZero(Vector256<float> v)
        => Vector256.ConvertToInt32Native(v + Vector256.CopySign(Vector256.Create(0.49999997f), v));
}
