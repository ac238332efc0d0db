using System.Runtime.CompilerServices;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Tests.Support;

/// <summary>
/// Every kernel test may name the AVX-512 path, also on a CPU without AVX-512: there its kernels run with their AVX-512
/// instructions emulated (<see cref="KernelIsa.EmulatesAvx512"/>), so the 512-bit kernels' layouts, constants and lane
/// bookkeeping are checked on every machine, and by the real instructions where the CPU has them.
/// </summary>
internal static class Avx512Emulation
{
    [ModuleInitializer]
    internal static void Allow() => KernelIsa.EmulatesAvx512 = true;
}
