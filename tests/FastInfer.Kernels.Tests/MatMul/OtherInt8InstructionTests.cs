using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Tests.Packed;
using FastInfer.Kernels.Tests.QuantGemm;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>Tests that turn the int8 instruction the other way run alone, so no other test sees it turned.</summary>
[CollectionDefinition(nameof(Int8InstructionCollection), DisableParallelization = true)]
public sealed class Int8InstructionCollection;

/// <summary>
/// The AVX2 and AVX-512 paths run their integer kernels with vpdpbusd where the CPU has AVX-VNNI and with vpmaddubsw where
/// it has not (<see cref="RowDot.UsesVnni"/>; the AVX-512 path, where it runs emulated, as a Zen 5 does), so every other
/// test checks only one of the two kinds per path on a given machine. These run the integer kernel tests on both paths
/// with the other kind (<see cref="KernelIsa.AvxVnniOverride"/>): on a CPU without AVX-VNNI the vpdpbusd kernels, the
/// instruction emulated (what an Intel core from Alder Lake on, or a Zen 5, runs), on a CPU with it the vpmaddubsw kernels
/// (what a Zen 4 runs on the AVX-512 path).
/// </summary>
[Collection(nameof(Int8InstructionCollection))]
public class OtherInt8InstructionTests
{
    private static readonly GgmlType[] IntegerTypes = MatVecTypes.All.Where(t => !GgmlTypeTraits.IsFloat(t)).ToArray();

    private static readonly IsaPath[] IntegerPaths = [IsaPath.Avx2, IsaPath.Avx512];

    public static TheoryData<GgmlType, IsaPath> DecodeTypes() => WithPaths(PackedCases.DecodeTypes);

    public static TheoryData<GgmlType, IsaPath> PackedPrefillTypes() => WithPaths(PackedCases.Types);

    public static TheoryData<GgmlType, IsaPath> KQuantTypes() => WithPaths(PackedCases.DecodeTypes.Where(MatVecTypes.IsKQuant));

    public static TheoryData<GgmlType, IsaPath> RowMajorTypes() => WithPaths(IntegerTypes);

    private static TheoryData<GgmlType, IsaPath> WithPaths(IEnumerable<GgmlType> types)
    {
        var data = new TheoryData<GgmlType, IsaPath>();
        foreach (var type in types)
            foreach (var path in IntegerPaths)
                data.Add(type, path);
        return data;
    }

    [SkippableFact]
    public void EachPathFollowsTheCpuUnlessTurned()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx2);
        Assert.Null(KernelIsa.AvxVnniOverride);
        Assert.Equal(AvxVnni.IsSupported, RowDot.UsesVnni(IsaPath.Avx2));
        Assert.Equal(AvxVnni.IsSupported || KernelIsa.Hardware < IsaPath.Avx512, RowDot.UsesVnni(IsaPath.Avx512));
        foreach (bool vnni in new[] { true, false })
        {
            try
            {
                KernelIsa.AvxVnniOverride = vnni;
                Assert.Equal(vnni, RowDot.UsesVnni(IsaPath.Avx2));
                Assert.Equal(vnni, RowDot.UsesVnni(IsaPath.Avx512));
                Assert.False(RowDot.UsesVnni(IsaPath.V128));
                Assert.False(RowDot.UsesVnni(IsaPath.Scalar));
            }
            finally
            {
                KernelIsa.AvxVnniOverride = null;
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(DecodeTypes))]
    public void PackedDecodeMatchesTheScalarReference(GgmlType type, IsaPath path)
        => WithTheOtherInstruction(path, () => new PackedMatVecTests().PackedMatchesTheScalarReference(type, path));

    [SkippableTheory]
    [MemberData(nameof(PackedPrefillTypes))]
    public void PackedDecodeAndPrefillKeepTheirBits(GgmlType type, IsaPath path)
        => WithTheOtherInstruction(path, () =>
        {
            new PackedDecodeBitsTests().DecodeHasTheBitsOfGroupByGroupAndOfPrefill(type, path);
            new PackedMatMulTests().EveryTokenMatchesTheScalarReference(type, path);
            new PackedMatMulTests().EveryTokenHasTheBitsOfPackedDecode(type, path);
            new PackedMatMulTests().UnalignedSlicesGiveTheSameBits(type, path);
        });

    /// <summary>The extreme block sums of the formats whose AVX-512 prefill runs the 512-bit pair tiles without AVX-VNNI
    /// (<see cref="Packed.PackedPairPrefill"/>) and the 256-bit VNNI tiles with it.</summary>
    [SkippableFact]
    public void Avx512PrefillKeepsExtremeBlockSumsExact()
        => WithTheOtherInstruction(IsaPath.Avx512, () =>
        {
            var tests = new PackedPairMatVecTests();
            tests.Q8_0ExtremeQuantsSumExactly();
            tests.Q4_0LargestBlockSumsStayExact();
            tests.Q5_0LargestBlockSumsStayExact();
            tests.Q5_1LargestBlockSumsStayExact();
        });

    [SkippableTheory]
    [MemberData(nameof(KQuantTypes))]
    public void KQuantPrefillMatchesTheScalarBlockDots(GgmlType type, IsaPath path)
        => WithTheOtherInstruction(path, () =>
        {
            new KQuantGemmTests().EveryRowAndTokenMatchesTheScalarBlockDots(type, path);
            new KQuantGemmTests().ExtremeQuantsAndActivationsStayExact(type, path);
            new PackedMatMulTests().PackedKQuantsPrefillFromTheGgmlRows(type, path);
        });

    [SkippableTheory]
    [MemberData(nameof(RowMajorTypes))]
    public void RowMajorKernelsMatchTheScalarReference(GgmlType type, IsaPath path)
        => WithTheOtherInstruction(path, () =>
        {
            new MatVecTests().EveryPathMatchesTheScalarReference(type, path);
            new MatMulTests().EveryTokenMatchesTheScalarMatVec(type, path);
        });

    private static void WithTheOtherInstruction(IsaPath path, Action test)
    {
        IsaPaths.SkipUnlessRuns(path);
        bool other = !RowDot.UsesVnni(path);
        try
        {
            KernelIsa.AvxVnniOverride = other;
            Assert.Equal(other, RowDot.UsesVnni(path));
            test();
        }
        finally
        {
            KernelIsa.AvxVnniOverride = null;
        }
    }
}
