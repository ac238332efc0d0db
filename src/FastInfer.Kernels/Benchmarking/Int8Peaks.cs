using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// int8 dot-product chains: the compute ceiling of quantized kernels. .NET 10 exposes
/// vpdpbusd at 128/256 bits (AvxVnni), so the VNNI figure is for 256-bit vectors. Without VNNI the kernels multiply
/// bytes with vpmaddubsw, timed here at 256 bits (AVX2) and 512 bits (AVX-512BW), summed in int16 as the kernels' runs do.
/// </summary>
internal static class Int8Peaks
{
    /// <summary>Each vpdpbusd over 256 bits does 32 multiplies and 32 adds.</summary>
    public static double VnniOps(int iterations) => (double)iterations * 8 * 32 * 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int VnniChains(int iterations)
    {
        var a = Vector256.Create((byte)3);
        var b = Vector256.Create((sbyte)-2);
        var x0 = Vector256<int>.Zero; var x1 = x0; var x2 = x0; var x3 = x0;
        var x4 = x0; var x5 = x0; var x6 = x0; var x7 = x0;
        for (int i = 0; i < iterations; i++)
        {
            x0 = AvxVnni.MultiplyWideningAndAdd(x0, a, b); x1 = AvxVnni.MultiplyWideningAndAdd(x1, a, b);
            x2 = AvxVnni.MultiplyWideningAndAdd(x2, a, b); x3 = AvxVnni.MultiplyWideningAndAdd(x3, a, b);
            x4 = AvxVnni.MultiplyWideningAndAdd(x4, a, b); x5 = AvxVnni.MultiplyWideningAndAdd(x5, a, b);
            x6 = AvxVnni.MultiplyWideningAndAdd(x6, a, b); x7 = AvxVnni.MultiplyWideningAndAdd(x7, a, b);
        }
        return Vector256.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7);
    }

    /// <summary>Each 512-bit maddubs + add step does 64 multiplies and 64 adds.</summary>
    public static double Avx512BwOps(int iterations) => MaddubsOps<Maddubs512, Vector512<short>>(iterations);

    public static int Avx512BwChains(int iterations) => MaddubsChains<Maddubs512, Vector512<short>>(iterations);

    /// <summary>Each 256-bit maddubs + add step does 32 multiplies and 32 adds.</summary>
    public static double Avx2Ops(int iterations) => MaddubsOps<Maddubs256, Vector256<short>>(iterations);

    public static int Avx2Chains(int iterations) => MaddubsChains<Maddubs256, Vector256<short>>(iterations);

    /// <summary>Eight vectors a step, a multiply and an add per byte.</summary>
    public static double MaddubsOps<TLanes, TVector>(int iterations) where TLanes : struct, IMaddubsLanes<TVector> where TVector : struct
        => (double)iterations * 8 * TLanes.Bytes * 2;

    /// <summary>
    /// Eight accumulators of <typeparamref name="TLanes"/>'s step. The unsigned operands come from L1 as in a real
    /// dot product (constants would let the JIT hoist the multiplies out of the loop): eight vectors a step, the steps
    /// cycling through a 4 KiB block; the signed operand is −2 throughout.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe int MaddubsChains<TLanes, TVector>(int iterations) where TLanes : struct, IMaddubsLanes<TVector> where TVector : struct
    {
        byte* data = stackalloc byte[4096];
        for (int i = 0; i < 4096; i++)
            data[i] = (byte)(i * 7);
        int n = TLanes.Bytes, step = 8 * n, mask = 4096 / step - 1;
        TVector x0 = default, x1 = default, x2 = default, x3 = default, x4 = default, x5 = default, x6 = default, x7 = default;
        for (int i = 0; i < iterations; i++)
        {
            byte* p = data + (i & mask) * step;
            x0 = TLanes.Step(x0, p); x1 = TLanes.Step(x1, p + n);
            x2 = TLanes.Step(x2, p + 2 * n); x3 = TLanes.Step(x3, p + 3 * n);
            x4 = TLanes.Step(x4, p + 4 * n); x5 = TLanes.Step(x5, p + 5 * n);
            x6 = TLanes.Step(x6, p + 6 * n); x7 = TLanes.Step(x7, p + 7 * n);
        }
        return TLanes.Sum(x0) + TLanes.Sum(x1) + TLanes.Sum(x2) + TLanes.Sum(x3)
            + TLanes.Sum(x4) + TLanes.Sum(x5) + TLanes.Sum(x6) + TLanes.Sum(x7);
    }

    /// <summary><see cref="VnniChains"/> as a timed peak.</summary>
    public readonly struct Vnni : IPeakChains
    {
        public static double Operations(int iterations) => VnniOps(iterations);
        public static float Run(int iterations) => VnniChains(iterations);
    }

    /// <summary><see cref="MaddubsChains{TLanes, TVector}"/> of <typeparamref name="TLanes"/> as a timed peak.</summary>
    public readonly struct Maddubs<TLanes, TVector> : IPeakChains where TLanes : struct, IMaddubsLanes<TVector> where TVector : struct
    {
        public static double Operations(int iterations) => MaddubsOps<TLanes, TVector>(iterations);
        public static float Run(int iterations) => MaddubsChains<TLanes, TVector>(iterations);
    }
}

/// <summary>One vector width's step of <see cref="Int8Peaks.MaddubsChains{TLanes, TVector}"/>.</summary>
internal unsafe interface IMaddubsLanes<TVector> where TVector : struct
{
    /// <summary>Bytes of a vector: the products of one vpmaddubsw.</summary>
    static abstract int Bytes { get; }

    /// <summary>acc + the sum of each 4-byte group of the vector at <paramref name="p"/> times −2.</summary>
    static abstract TVector Step(TVector acc, byte* p);

    static abstract int Sum(TVector x);
}

/// <summary>
/// 512-bit vpmaddubsw + vpaddw (AVX-512BW): the int8 step of the AVX-512 path's prefill kernels where .NET gives them no
/// vpdpbusd (<see cref="Packed.PackedPairPrefill"/>, <see cref="Ops.QuantGemm.KQuantPairPrefill"/>), which sum in int16
/// runs as the AVX2 kernels do (<see cref="Maddubs256"/>).
/// </summary>
internal readonly unsafe struct Maddubs512 : IMaddubsLanes<Vector512<short>>
{
    public static int Bytes => 64;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Step(Vector512<short> acc, byte* p)
        => acc + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p), Vector512.Create((sbyte)-2));
    public static int Sum(Vector512<short> x) => Vector512.Sum(Avx512BW.MultiplyAddAdjacent(x, Vector512.Create((short)1)));
}

/// <summary>
/// 256-bit vpmaddubsw + vpaddw (AVX2): the int8 step of the integer kernels without VNNI where their weights are small
/// enough to sum products in int16 runs (<see cref="Packed.MaddubsPackedStep.Int16Run"/>), which widen once a run and
/// so come close to one multiply instruction per 32 products. A vpmaddwd + vpaddd per step as well (what the kernels did
/// before) halves this ceiling, and kernels with runs measured above it; the timing chains wrap in int16 harmlessly.
/// </summary>
internal readonly unsafe struct Maddubs256 : IMaddubsLanes<Vector256<short>>
{
    public static int Bytes => 32;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Step(Vector256<short> acc, byte* p)
        => acc + Avx2.MultiplyAddAdjacent(Vector256.Load(p), Vector256.Create((sbyte)-2));
    public static int Sum(Vector256<short> x) => Vector256.Sum(Avx2.MultiplyAddAdjacent(x, Vector256.Create((short)1)));
}
