using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// The signed 16-column scales of Q3_K and Q6_K panels filled from a packed copy: lane r of <c>four</c> holds row r's
/// scales 4i..4i+3 as bytes, which become the panel's scale vectors 4i..4i+3 (sign-extended) and its offset-pair vectors
/// 2i and 2i+1 (the zero point times two neighbouring scales, as two int16 halves).
/// </summary>
internal static unsafe class PanelSignedScales
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> four, int i, int zeroPoint, int* scales, int* offsets)
    {
        var s0 = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(four, 24), 24);
        var s1 = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(four, 16), 24);
        var s2 = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(four, 8), 24);
        var s3 = Vector256.ShiftRightArithmetic(four, 24);
        s0.Store(scales + 8 * (4 * i));
        s1.Store(scales + 8 * (4 * i + 1));
        s2.Store(scales + 8 * (4 * i + 2));
        s3.Store(scales + 8 * (4 * i + 3));
        var low16 = Vector256.Create(0xFFFF);
        ((s0 * zeroPoint & low16) | ((s1 * zeroPoint) << 16)).Store(offsets + 8 * (2 * i));
        ((s2 * zeroPoint & low16) | ((s3 * zeroPoint) << 16)).Store(offsets + 8 * (2 * i + 1));
    }
}
