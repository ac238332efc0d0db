using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;

namespace FastInfer.Kernels.Tests.Support;

/// <summary>
/// Theory data over every kernel path this machine runs, so one test covers scalar, V128, AVX2 and AVX-512:
/// <c>[Theory, MemberData(nameof(IsaPaths.All), MemberType = typeof(IsaPaths))]</c>. The AVX-512 path is among them on
/// every AVX2 CPU: where the CPU lacks it, emulated (<see cref="Avx512Emulation"/>).
/// </summary>
public static class IsaPaths
{
    /// <summary>Lengths that hit every vector body and tail: below, at and just past each width and its multiples.</summary>
    public static readonly int[] OddLengths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 255, 1000, 4099];

    /// <summary>The paths, lowest first: those the CPU runs, and the AVX-512 path (emulated on an AVX2 CPU without it).</summary>
    public static IReadOnlyList<IsaPath> Paths => KernelIsa.Available.Append(KernelIsa.Ceiling).Distinct().ToArray();

    /// <summary>The paths that read packed copies, whether this CPU runs them or not: theory data over these stays the same
    /// on every machine, and each case skips itself where its path does not run (<see cref="SkipUnlessRuns"/>) instead of
    /// leaving a theory with no data, which fails.</summary>
    public static IReadOnlyList<IsaPath> PackedPaths => Enum.GetValues<IsaPath>().Where(PackedWeights.IsReadOn).ToArray();

    /// <summary>Skips the calling test where <paramref name="path"/> does not run: above the CPU's own path, except the
    /// AVX-512 path, which every AVX2 CPU runs emulated. On Arm64 only the scalar and V128 paths run.</summary>
    public static void SkipUnlessRuns(IsaPath path)
        => Skip.IfNot(Paths.Contains(path), $"the {path} path does not run on this CPU (its own: {KernelIsa.Hardware})");

    public static TheoryData<IsaPath> All
    {
        get
        {
            var data = new TheoryData<IsaPath>();
            foreach (var path in Paths)
                data.Add(path);
            return data;
        }
    }

    /// <summary>Every path crossed with <see cref="OddLengths"/>.</summary>
    public static TheoryData<IsaPath, int> WithLengths
    {
        get
        {
            var data = new TheoryData<IsaPath, int>();
            foreach (var path in Paths)
                foreach (int n in OddLengths)
                    data.Add(path, n);
            return data;
        }
    }
}
