using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Memory;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// How decode attention asks for the K and V lines it reads next (<see cref="GroupTile512"/>, <see cref="GroupTile256"/>,
/// <see cref="SplitContextDecodeJob{TKv}"/>): into L1 where the core's L1 data cache holds 48 KiB or more (a Zen 5, on
/// which the distance was chosen) or where sysfs does not say, into L2 only on a smaller L1. The nearest a tile asks is
/// the next slice, 16 KiB of K and V for an F32 head of 128 (three slices of an F16 head at the usual distance), so on a
/// 32 KiB L1 those lines and the ones being read evicted each other. On a Zen 4 (32 KiB), `bench-kernels` with the
/// level taken from the environment, three alternations (32 query heads over 8 KV heads of 128, 4096 positions, two
/// threads): on the AVX-512 path an F32 cache took 1.31–1.57 ms per call asked into L2 against 2.21–2.73 ms into L1, an
/// F16 cache 0.70–0.86 against 1.30–1.51; on the AVX2 path 1.21–1.53 against 1.87–2.16 ms and 0.78–1.04 against
/// 1.13–1.25 ms (performance log, session 26).
/// </summary>
internal static unsafe class KvPrefetch
{
    public static readonly bool IntoSecondLevel = CacheSizes.FirstLevelDataBytes() is { } l1 && l1 < (48 << 10);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Line(void* address)
    {
        if (IntoSecondLevel)
            Sse.Prefetch1(address);
        else
            Sse.Prefetch0(address);
    }
}
