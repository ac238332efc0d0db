using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Memory;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// How decode attention asks for the K and V lines it reads next (<see cref="GroupTile512"/>, <see cref="GroupTile256"/>,
/// <see cref="SplitContextDecodeJob{TKv}"/>): into L1 where the core's L1 data cache holds 48 KiB or more (a Zen 5, on
/// which the distance was chosen) or where sysfs does not say, into L2 only on a smaller L1. The nearest a tile asks is
/// the next slice, 16 KiB of K and V for an F32 head of 128 (three slices of an F16 head at the usual distance), so on a
/// 32 KiB L1 those lines and the ones being read evicted each other. On a Zen 4 (32 KiB), `bench-kernels` alternated with
/// the build before (32 query heads over 8 KV heads of 128, 4096 positions, two threads): on the AVX-512 path, three
/// alternations, an F32 cache took 1.28–1.59 ms per call instead of 2.36–2.48 and an F16 cache 0.83–0.86 instead of
/// 1.36–1.40; on the AVX2 path (FASTINFER_ISA=avx2), two, 1.33–1.47 instead of 1.99 and 0.98–1.01 instead of 1.20–1.33
/// (performance log, session 26).
/// </summary>
internal static unsafe class KvPrefetch
{
    public static readonly bool IntoSecondLevel = CacheSizes.FirstLevelDataIsSmall();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Line(void* address)
    {
        if (IntoSecondLevel)
            Sse.Prefetch1(address);
        else
            Sse.Prefetch0(address);
    }
}
