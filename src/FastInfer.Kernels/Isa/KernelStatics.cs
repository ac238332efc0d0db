using System.Runtime.CompilerServices;
using FastInfer.Kernels.Ops.AttentionKernels;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Isa;

/// <summary>
/// Initializes, once, the classes whose static read-only fields the kernels read: when <see cref="KernelIsa"/> is first
/// read, which every dispatcher does before it calls a kernel. A kernel is compiled fully optimized on its first call,
/// and the JIT takes such a field as a constant only if its class is initialized by then. Otherwise it leaves a
/// class-initialization check, with a helper call, where the field is read, and around that call it keeps the loop's
/// vectors and pointers on the stack. The first pair decode kernel compiled in a process had this in its loop (for
/// <see cref="PackedPair"/>'s prefetch distance, then read from sysfs): Q8_0's in `bench-kernels` and in `fastinfer
/// generate` on a Q8_0 file, Q6_K's on a Q4_K_M file, each with its accumulator spilled; the pair kernels compiled after
/// it read the distance as a constant.
/// </summary>
internal static class KernelStatics
{
    /// <summary>
    /// Every class of this assembly, outside <see cref="Benchmarking"/>, with a static read-only field of a value or
    /// pointer type (a test keeps this list whole).
    /// </summary>
    internal static Type[] Classes =>
        [typeof(PackedPair), typeof(PackedScales), typeof(PackedWeights), typeof(KvPrefetch), typeof(Fp16), typeof(PollThenYield),
            typeof(ComputePool), typeof(KernelIsa)];

    /// <summary>Whether <see cref="Initialize"/> has run.</summary>
    public static bool Initialized { get; private set; }

    /// <summary>Runs the static initializers of <see cref="Classes"/>.</summary>
    public static void Initialize()
    {
        foreach (var type in Classes)
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        Initialized = true;
    }
}
