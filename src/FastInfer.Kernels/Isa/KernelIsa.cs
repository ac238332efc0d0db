using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Isa;

/// <summary>
/// Chooses the kernel path once at start-up: the widest the CPU supports, lowered by
/// <c>FASTINFER_ISA=avx512|avx2|v128|scalar</c> so that every path can be run and tested on one machine.
/// <c>avx512-emulated</c> runs the AVX-512 kernels on any AVX2 CPU, their AVX-512 instructions emulated and their 512-bit
/// vectors in software (<see cref="EmulatesAvx512"/>): very slow, and meant only for checking those kernels' results on a
/// machine without AVX-512.
/// </summary>
public static class KernelIsa
{
    public const string EnvironmentVariable = "FASTINFER_ISA";

    /// <summary>
    /// Runs after the initializers of the paths below: initializes the classes whose fields the kernels read as constants
    /// (<see cref="KernelStatics"/>) before any kernel is compiled, since every dispatcher reads <see cref="Active"/> first.
    /// </summary>
    static KernelIsa() => KernelStatics.Initialize();

    /// <summary>The widest path this CPU runs.</summary>
    public static IsaPath Hardware { get; } = DetectHardware();

    /// <summary>
    /// The highest path a caller may name: the hardware's, or the AVX-512 path where its instructions are emulated
    /// (<see cref="EmulatesAvx512"/>).
    /// </summary>
    internal static IsaPath Ceiling => EmulatesAvx512 && Hardware >= IsaPath.Avx2 ? IsaPath.Avx512 : Hardware;

    /// <summary>
    /// Lets callers name the AVX-512 path on an AVX2 CPU without AVX-512 (the AVX-512 path's kernels use AVX2 and SSE
    /// instructions beside their own, so below AVX2 it stays out of reach): its kernels then run their AVX-512 instructions
    /// emulated (<see cref="Blocks.Simd.Avx512Ops"/>) and their 512-bit vectors in software, slowly and with the same
    /// bits. Set by the kernel tests, so that the 512-bit kernels are checked on every machine, and by selecting
    /// <see cref="EmulatedAvx512Name"/>; nothing chooses it by itself.
    /// </summary>
    internal static bool EmulatesAvx512 { get; set; }

    /// <summary>
    /// Overrides whether the AVX2 and AVX-512 paths run their AVX-VNNI kernels (256-bit vpdpbusd), which they otherwise do
    /// exactly where the CPU has AVX-VNNI (<see cref="Blocks.RowDot.UsesVnni"/>; the AVX-512 path also where it runs
    /// emulated): true runs them on a CPU without it, the instruction emulated (<see cref="Blocks.Simd.Avx512Ops"/>),
    /// false runs the vpmaddubsw kernels on a CPU with it. Set only by tests (the kernel tests and the CLI's), so that both
    /// kinds of integer kernel are checked on any AVX2 machine; null leaves the choice to the CPU.
    /// </summary>
    internal static bool? AvxVnniOverride { get; set; }

    /// <summary>Whether <see cref="Active"/> runs emulated (above what the hardware runs), so that timing it would say
    /// nothing about this CPU.</summary>
    public static bool ActiveIsEmulated => Active > Hardware;

    /// <summary>The path kernels use when a caller does not name one.</summary>
    public static IsaPath Active { get; private set; } = FromEnvironment();

    /// <summary>Every path this machine can run, lowest first (for tests that cover each path).</summary>
    public static IReadOnlyList<IsaPath> Available { get; } =
        Enum.GetValues<IsaPath>().Where(p => p <= Hardware).ToArray();

    /// <summary>Selects a path for the whole process; clamped to what the hardware runs (or, with
    /// <see cref="EmulatesAvx512"/>, to the emulated AVX-512 path).</summary>
    public static void Select(IsaPath path) => Active = path <= Ceiling ? path : Ceiling;

    /// <summary>Selects a path by name for the whole process (the CLI's --isa): <see cref="Parse"/>'s names, or
    /// <see cref="EmulatedAvx512Name"/>. A name is a request for that path on this CPU's own instructions: one above what
    /// the CPU runs is refused, not lowered (the caller asked for those kernels, and would time or test others).</summary>
    public static void Select(string text)
    {
        if (IsEmulatedAvx512(text))
        {
            if (Hardware < IsaPath.Avx2)
                throw new ArgumentException($"the {EmulatedAvx512Name} kernel path needs AVX2, and this CPU runs {Hardware}");
            EmulatesAvx512 = true;
            Active = IsaPath.Avx512;
            return;
        }
        var path = Parse(text);
        if (path > Hardware)
            throw new ArgumentException($"the {path} kernel path is above what this CPU runs ({Hardware})" +
                (path == IsaPath.Avx512 && Hardware >= IsaPath.Avx2 ? $"; {EmulatedAvx512Name} runs its kernels emulated" : ""));
        Select(path);
    }

    /// <summary>The name that selects the AVX-512 path with its instructions emulated where the CPU lacks them.</summary>
    public const string EmulatedAvx512Name = "avx512-emulated";

    private static bool IsEmulatedAvx512(string text) => text.Trim().Equals(EmulatedAvx512Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses avx512|avx2|v128|scalar (case-insensitive).</summary>
    public static IsaPath Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "avx512" or "avx-512" or "v512" => IsaPath.Avx512,
        "avx2" or "v256" => IsaPath.Avx2,
        "v128" or "sse" or "neon" => IsaPath.V128,
        "scalar" => IsaPath.Scalar,
        _ => throw new ArgumentException($"unknown kernel path '{text}': expected avx512, avx2, v128, scalar or {EmulatedAvx512Name}"),
    };

    private static IsaPath FromEnvironment()
    {
        var requested = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(requested))
            return Hardware;
        if (IsEmulatedAvx512(requested))
        {
            EmulatesAvx512 = true;
            return Ceiling;
        }
        var path = Parse(requested);
        return path <= Hardware ? path : Hardware;
    }

    private static IsaPath DetectHardware()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported && Avx512F.VL.IsSupported)
            return IsaPath.Avx512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported)
            return IsaPath.Avx2;
        if (Vector128.IsHardwareAccelerated)
            return IsaPath.V128;
        return IsaPath.Scalar;
    }
}
