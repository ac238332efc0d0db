using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Ops.Elementwise;

/// <summary>
/// e^x for floats at every vector width, with bit-identical results at each width.
/// </summary>
/// <remarks>
/// x = n·ln2 + r with n = round(x·log2 e) and |r| ≤ ln2/2 (ln2 split in a float and its remainder, both
/// subtracted with FMA, so r is nearly exact). e^r is its Taylor polynomial to degree 7, whose truncation
/// error r⁸/8! ≤ 5.3e-9 relative is below half an ulp; with Horner rounding the measured error is within
/// 2 ulp (the tests hold it to 3e-7 relative over [-87, 88]). 2^n is applied as two power-of-two factors so
/// n = 128 and n = -126 stay representable. Inputs above ln(float.MaxValue) give +∞, inputs below
/// ln(2^-126) give 0 (subnormal results are flushed: nothing in inference needs them), NaN gives NaN.
/// The clamp keeps n a whole number in [-126, 128] (what a NaN lane converts to is discarded at the end), so the
/// vectors convert it with the plain truncating instruction, without the fix-ups the saturating conversion adds.
/// </remarks>
public static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693147182464599609375f;        // (float)ln 2
    private const float Ln2Lo = -1.90465429995776805e-09f;       // ln 2 − Ln2Hi
    internal const float UpperLimit = 88.7228390520683f;         // ln(float.MaxValue)
    internal const float LowerLimit = -87.3365447505531f;        // ln(2^-126)
    private const float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        float c = Math.Clamp(x, LowerLimit, UpperLimit);
        float n = MathF.Round(c * Log2E);
        float r = MathF.FusedMultiplyAdd(-n, Ln2Hi, c);
        r = MathF.FusedMultiplyAdd(-n, Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(C7, r, C6);
        p = MathF.FusedMultiplyAdd(p, r, C5);
        p = MathF.FusedMultiplyAdd(p, r, C4);
        p = MathF.FusedMultiplyAdd(p, r, C3);
        p = MathF.FusedMultiplyAdd(p, r, C2);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        int ni = (int)n, half = ni >> 1;
        float result = p * BitConverter.Int32BitsToSingle((half + 127) << 23)
                         * BitConverter.Int32BitsToSingle((ni - half + 127) << 23);
        if (x > UpperLimit)
            return float.PositiveInfinity;
        if (x < LowerLimit)
            return 0f;
        return float.IsNaN(x) ? x : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var c = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(LowerLimit)), Vector512.Create(UpperLimit));
        var n = Vector512.Round(c * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(-n, Vector512.Create(Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(-n, Vector512.Create(Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(C7), r, Vector512.Create(C6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var ni = Vector512.ConvertToInt32Native(n);
        var half = ni >> 1;
        var bias = Vector512.Create(127);
        var result = p * ((half + bias) << 23).AsSingle() * ((ni - half + bias) << 23).AsSingle();
        result = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(UpperLimit)), Vector512.Create(float.PositiveInfinity), result);
        result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(LowerLimit)), Vector512<float>.Zero, result);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var c = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(LowerLimit)), Vector256.Create(UpperLimit));
        var n = Vector256.Round(c * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(C7), r, Vector256.Create(C6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var ni = Vector256.ConvertToInt32Native(n);
        var half = ni >> 1;
        var bias = Vector256.Create(127);
        var result = p * ((half + bias) << 23).AsSingle() * ((ni - half + bias) << 23).AsSingle();
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(UpperLimit)), Vector256.Create(float.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(LowerLimit)), Vector256<float>.Zero, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        var c = Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(LowerLimit)), Vector128.Create(UpperLimit));
        var n = Vector128.Round(c * Vector128.Create(Log2E));
        var r = Vector128.FusedMultiplyAdd(-n, Vector128.Create(Ln2Hi), c);
        r = Vector128.FusedMultiplyAdd(-n, Vector128.Create(Ln2Lo), r);
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(C7), r, Vector128.Create(C6));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C5));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128<float>.One);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128<float>.One);
        var ni = Vector128.ConvertToInt32Native(n);
        var half = ni >> 1;
        var bias = Vector128.Create(127);
        var result = p * ((half + bias) << 23).AsSingle() * ((ni - half + bias) << 23).AsSingle();
        result = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(UpperLimit)), Vector128.Create(float.PositiveInfinity), result);
        result = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(LowerLimit)), Vector128<float>.Zero, result);
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), result, x);
    }
}
