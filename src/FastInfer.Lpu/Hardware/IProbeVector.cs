using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Lpu.Hardware;

/// <summary>The few vector operations the host probes need, so one loop serves every register width.</summary>
internal interface IProbeVector<TSelf> where TSelf : struct, IProbeVector<TSelf>
{
    static abstract int Lanes { get; }
    static abstract TSelf Splat(float value);
    static abstract TSelf Load(ref float start, int index);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract float Sum(TSelf v);
}

internal readonly struct Probe512(Vector512<float> v) : IProbeVector<Probe512>
{
    private readonly Vector512<float> _v = v;
    public static int Lanes => Vector512<float>.Count;
    public static Probe512 Splat(float value) => new(Vector512.Create(value));
    public static Probe512 Load(ref float start, int index) => new(Vector512.LoadUnsafe(ref start, (nuint)index));
    public static Probe512 Add(Probe512 a, Probe512 b) => new(a._v + b._v);
    public static Probe512 Fma(Probe512 a, Probe512 b, Probe512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    public static float Sum(Probe512 v) => Vector512.Sum(v._v);
}

internal readonly struct Probe256(Vector256<float> v) : IProbeVector<Probe256>
{
    private readonly Vector256<float> _v = v;
    public static int Lanes => Vector256<float>.Count;
    public static Probe256 Splat(float value) => new(Vector256.Create(value));
    public static Probe256 Load(ref float start, int index) => new(Vector256.LoadUnsafe(ref start, (nuint)index));
    public static Probe256 Add(Probe256 a, Probe256 b) => new(a._v + b._v);
    public static Probe256 Fma(Probe256 a, Probe256 b, Probe256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    public static float Sum(Probe256 v) => Vector256.Sum(v._v);
}

/// <summary>Scalar fallback for machines without SIMD acceleration.</summary>
internal readonly struct Probe1(float v) : IProbeVector<Probe1>
{
    private readonly float _v = v;
    public static int Lanes => 1;
    public static Probe1 Splat(float value) => new(value);
    public static Probe1 Load(ref float start, int index) => new(Unsafe.Add(ref start, index));
    public static Probe1 Add(Probe1 a, Probe1 b) => new(a._v + b._v);
    public static Probe1 Fma(Probe1 a, Probe1 b, Probe1 c) => new(MathF.FusedMultiplyAdd(a._v, b._v, c._v));
    public static float Sum(Probe1 v) => v._v;
}
