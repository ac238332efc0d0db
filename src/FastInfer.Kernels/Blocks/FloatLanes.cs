using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// One vector width's float operations, so a float kernel can be written once for the 256- and 128-bit paths
/// (<see cref="FloatRowGroups"/>); each operation is the one RowDot.Float uses at that width, so results keep its bits.
/// </summary>
internal unsafe interface IFloatLanes<TVector> where TVector : struct
{
    static abstract int Count { get; }
    static abstract TVector Zero { get; }
    static abstract TVector Load(float* x);
    static abstract TVector Load<T>(byte* elements) where T : struct, IFloatBlock;
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);

    /// <summary>The horizontal sum of <paramref name="first"/> + <paramref name="second"/>.</summary>
    static abstract float SumOfBoth(TVector first, TVector second);
}

internal readonly unsafe struct FloatLanes256 : IFloatLanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* x) => Vector256.Load(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load<T>(byte* elements) where T : struct, IFloatBlock => T.Load256(elements);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumOfBoth(Vector256<float> first, Vector256<float> second) => Vector256.Sum(first + second);
}

internal readonly unsafe struct FloatLanes128 : IFloatLanes<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* x) => Vector128.Load(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load<T>(byte* elements) where T : struct, IFloatBlock => T.Load128(elements);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> addend) => Vector128.FusedMultiplyAdd(a, b, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumOfBoth(Vector128<float> first, Vector128<float> second) => Vector128.Sum(first + second);
}
