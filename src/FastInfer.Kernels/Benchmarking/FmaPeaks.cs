using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>One vector width's FP32 step x ← x·m + c, for <see cref="FmaPeaks.Chains{TLanes, TVector}"/>.</summary>
internal interface IFmaLanes<TVector> where TVector : struct
{
    /// <summary>float lanes of a vector.</summary>
    static abstract int Lanes { get; }

    static abstract TVector Create(float value);

    static abstract TVector MultiplyAdd(TVector x, TVector m, TVector c);

    static abstract float Sum(TVector x);
}

/// <summary>Vector512 FMA (AVX-512).</summary>
internal readonly struct Fma512 : IFmaLanes<Vector512<float>>
{
    public static int Lanes => 16;
    public static Vector512<float> Create(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> x, Vector512<float> m, Vector512<float> c) => Vector512.FusedMultiplyAdd(x, m, c);
    public static float Sum(Vector512<float> x) => Vector512.Sum(x);
}

/// <summary>Vector256 FMA (AVX2 with FMA3).</summary>
internal readonly struct Fma256 : IFmaLanes<Vector256<float>>
{
    public static int Lanes => 8;
    public static Vector256<float> Create(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> m, Vector256<float> c) => Vector256.FusedMultiplyAdd(x, m, c);
    public static float Sum(Vector256<float> x) => Vector256.Sum(x);
}

/// <summary>Vector128 FMA (FMA3 on x64, NEON on Arm64).</summary>
internal readonly struct Fma128 : IFmaLanes<Vector128<float>>
{
    public static int Lanes => 4;
    public static Vector128<float> Create(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> x, Vector128<float> m, Vector128<float> c) => Vector128.FusedMultiplyAdd(x, m, c);
    public static float Sum(Vector128<float> x) => Vector128.Sum(x);
}

/// <summary>Vector128 multiply, then add: for CPUs without a fused multiply-add (where Vector128.FusedMultiplyAdd is emulated).</summary>
internal readonly struct MulAdd128 : IFmaLanes<Vector128<float>>
{
    public static int Lanes => 4;
    public static Vector128<float> Create(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> x, Vector128<float> m, Vector128<float> c) => x * m + c;
    public static float Sum(Vector128<float> x) => Vector128.Sum(x);
}

/// <summary>
/// Register-only FP32 multiply-add chains at each kernel path's vector width: the compute ceiling of the float kernels.
/// A multiply and an add count as two flops whether fused or not.
/// </summary>
internal static class FmaPeaks
{
    /// <summary>Whether this CPU has a 128-bit fused multiply-add (FMA3 on x64, NEON on Arm64).</summary>
    public static bool HasFma128 => Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>The vector bits of the chains timed for <paramref name="path"/> (0 on the scalar path, which has none), and
    /// whether they fuse the multiply and the add.</summary>
    public static (int Bits, bool Fused) Width(IsaPath path) => path switch
    {
        IsaPath.Avx512 => (512, true),
        IsaPath.Avx2 => (256, true),
        IsaPath.V128 => (128, HasFma128),
        _ => (0, false),
    };

    /// <summary>Twelve chains of <typeparamref name="TLanes"/>' lanes, a multiply and an add each per step.</summary>
    public static double Flops<TLanes, TVector>(int iterations) where TLanes : struct, IFmaLanes<TVector> where TVector : struct
        => (double)iterations * 12 * TLanes.Lanes * 2;

    /// <summary>Twelve independent chains: enough to cover a 4-cycle latency at two FMAs per cycle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Chains<TLanes, TVector>(int iterations, float seed) where TLanes : struct, IFmaLanes<TVector> where TVector : struct
    {
        var m = TLanes.Create(0.999999f);
        var c = TLanes.Create(1e-7f);
        // Chain k starts at seed + k·1e-7.
        var x0 = TLanes.Create(seed); var x1 = TLanes.Create(seed + 1e-7f); var x2 = TLanes.Create(seed + 2e-7f);
        var x3 = TLanes.Create(seed + 3e-7f); var x4 = TLanes.Create(seed + 4e-7f); var x5 = TLanes.Create(seed + 5e-7f);
        var x6 = TLanes.Create(seed + 6e-7f); var x7 = TLanes.Create(seed + 7e-7f); var x8 = TLanes.Create(seed + 8e-7f);
        var x9 = TLanes.Create(seed + 9e-7f); var x10 = TLanes.Create(seed + 10e-7f); var x11 = TLanes.Create(seed + 11e-7f);
        for (int i = 0; i < iterations; i++)
        {
            x0 = TLanes.MultiplyAdd(x0, m, c); x1 = TLanes.MultiplyAdd(x1, m, c);
            x2 = TLanes.MultiplyAdd(x2, m, c); x3 = TLanes.MultiplyAdd(x3, m, c);
            x4 = TLanes.MultiplyAdd(x4, m, c); x5 = TLanes.MultiplyAdd(x5, m, c);
            x6 = TLanes.MultiplyAdd(x6, m, c); x7 = TLanes.MultiplyAdd(x7, m, c);
            x8 = TLanes.MultiplyAdd(x8, m, c); x9 = TLanes.MultiplyAdd(x9, m, c);
            x10 = TLanes.MultiplyAdd(x10, m, c); x11 = TLanes.MultiplyAdd(x11, m, c);
        }
        return TLanes.Sum(x0) + TLanes.Sum(x1) + TLanes.Sum(x2) + TLanes.Sum(x3) + TLanes.Sum(x4) + TLanes.Sum(x5)
            + TLanes.Sum(x6) + TLanes.Sum(x7) + TLanes.Sum(x8) + TLanes.Sum(x9) + TLanes.Sum(x10) + TLanes.Sum(x11);
    }
}

/// <summary><see cref="FmaPeaks.Chains{TLanes, TVector}"/> of <typeparamref name="TLanes"/> as a timed peak.</summary>
internal readonly struct FmaPeak<TLanes, TVector> : IPeakChains where TLanes : struct, IFmaLanes<TVector> where TVector : struct
{
    public static double Operations(int iterations) => FmaPeaks.Flops<TLanes, TVector>(iterations);
    public static float Run(int iterations) => FmaPeaks.Chains<TLanes, TVector>(iterations, 1f);
}
