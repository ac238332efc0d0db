using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// Register-only int8 dot-product chains: the compute ceiling of quantized kernels. .NET 10 exposes
/// vpdpbusd at 128/256 bits (AvxVnni), so the VNNI figure is for 256-bit vectors.
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

    /// <summary><see cref="VnniChains"/> as a timed peak.</summary>
    public readonly struct Vnni : IPeakChains
    {
        public static double Operations(int iterations) => VnniOps(iterations);
        public static float Run(int iterations) => VnniChains(iterations);
    }

    /// <summary>Each 512-bit maddubs + madd + add step does 64 multiplies and 64 adds.</summary>
    public static double Avx512BwOps(int iterations) => (double)iterations * 8 * 64 * 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe int Avx512BwChains(int iterations)
    {
        // The unsigned operands come from L1 as in a real dot product (constants would let the JIT hoist the
        // multiplies out of the loop); eight 64-byte vectors per step cycle through a 4 KiB block.
        byte* data = stackalloc byte[4096];
        for (int i = 0; i < 4096; i++)
            data[i] = (byte)(i * 7);
        var b = Vector512.Create((sbyte)-2);
        var ones = Vector512.Create((short)1);
        var x0 = Vector512<int>.Zero; var x1 = x0; var x2 = x0; var x3 = x0;
        var x4 = x0; var x5 = x0; var x6 = x0; var x7 = x0;
        for (int i = 0; i < iterations; i++)
        {
            byte* p = data + (i & 7) * 512;
            x0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p), b), ones);
            x1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 64), b), ones);
            x2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 128), b), ones);
            x3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 192), b), ones);
            x4 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 256), b), ones);
            x5 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 320), b), ones);
            x6 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 384), b), ones);
            x7 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 448), b), ones);
        }
        return Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7);
    }

    /// <summary><see cref="Avx512BwChains"/> as a timed peak.</summary>
    public readonly struct Avx512Bw : IPeakChains
    {
        public static double Operations(int iterations) => Avx512BwOps(iterations);
        public static float Run(int iterations) => Avx512BwChains(iterations);
    }
}
