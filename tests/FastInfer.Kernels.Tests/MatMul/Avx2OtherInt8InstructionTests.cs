using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Tests.Packed;
using FastInfer.Kernels.Tests.QuantGemm;
using FastInfer.Kernels.Tests.Support;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>Tests that turn the AVX2 path's int8 instruction the other way run alone, so no other test sees it turned.</summary>
[CollectionDefinition(nameof(Avx2Int8InstructionCollection), DisableParallelization = true)]
public sealed class Avx2Int8InstructionCollection;

/// <summary>
/// The AVX2 path runs its integer kernels with vpdpbusd where the CPU has AVX-VNNI and with vpmaddubsw where it has not
/// (<see cref="RowDot.UsesVnni"/>), so every other test checks only one of the two kinds on a given machine. These run the
/// integer kernel tests on the AVX2 path with the other kind (<see cref="KernelIsa.Avx2VnniOverride"/>): on a CPU without
/// AVX-VNNI its vpdpbusd kernels, the instruction emulated (what an Intel core from Alder Lake on runs), on a CPU with it
/// the vpmaddubsw kernels.
/// </summary>
[Collection(nameof(Avx2Int8InstructionCollection))]
public class Avx2OtherInt8InstructionTests
{
    private static readonly GgmlType[] IntegerTypes = MatVecTypes.All.Where(t => !GgmlTypeTraits.IsFloat(t)).ToArray();

    public static TheoryData<GgmlType> DecodeTypes() => new(PackedCases.DecodeTypes);

    public static TheoryData<GgmlType> PackedPrefillTypes() => new(PackedCases.Types);

    public static TheoryData<GgmlType> KQuantTypes() => new(PackedCases.DecodeTypes.Where(MatVecTypes.IsKQuant));

    public static TheoryData<GgmlType> RowMajorTypes() => new(IntegerTypes);

    [SkippableFact]
    public void TheAvx2PathFollowsTheCpuUnlessTurned()
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx2);
        Assert.Null(KernelIsa.Avx2VnniOverride);
        Assert.Equal(AvxVnni.IsSupported, RowDot.UsesVnni(IsaPath.Avx2));
        foreach (bool vnni in new[] { true, false })
        {
            try
            {
                KernelIsa.Avx2VnniOverride = vnni;
                Assert.Equal(vnni, RowDot.UsesVnni(IsaPath.Avx2));
                Assert.False(RowDot.UsesVnni(IsaPath.V128));
                Assert.False(RowDot.UsesVnni(IsaPath.Scalar));
            }
            finally
            {
                KernelIsa.Avx2VnniOverride = null;
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(DecodeTypes))]
    public void PackedDecodeMatchesTheScalarReference(GgmlType type)
        => WithTheOtherInstruction(() => new PackedMatVecTests().PackedMatchesTheScalarReference(type, IsaPath.Avx2));

    [SkippableTheory]
    [MemberData(nameof(PackedPrefillTypes))]
    public void PackedDecodeAndPrefillKeepTheirBits(GgmlType type)
        => WithTheOtherInstruction(() =>
        {
            new PackedDecodeBitsTests().DecodeHasTheBitsOfGroupByGroupAndOfPrefill(type, IsaPath.Avx2);
            new PackedMatMulTests().EveryTokenMatchesTheScalarReference(type, IsaPath.Avx2);
            new PackedMatMulTests().EveryTokenHasTheBitsOfPackedDecode(type, IsaPath.Avx2);
        });

    [SkippableTheory]
    [MemberData(nameof(KQuantTypes))]
    public void KQuantPrefillMatchesTheScalarBlockDots(GgmlType type)
        => WithTheOtherInstruction(() =>
        {
            new KQuantGemmTests().EveryRowAndTokenMatchesTheScalarBlockDots(type, IsaPath.Avx2);
            new KQuantGemmTests().ExtremeQuantsAndActivationsStayExact(type, IsaPath.Avx2);
            new PackedMatMulTests().PackedKQuantsPrefillFromTheGgmlRows(type, IsaPath.Avx2);
        });

    [SkippableTheory]
    [MemberData(nameof(RowMajorTypes))]
    public void RowMajorKernelsMatchTheScalarReference(GgmlType type)
        => WithTheOtherInstruction(() =>
        {
            new MatVecTests().EveryPathMatchesTheScalarReference(type, IsaPath.Avx2);
            new MatMulTests().EveryTokenMatchesTheScalarMatVec(type, IsaPath.Avx2);
        });

    private static void WithTheOtherInstruction(Action test)
    {
        IsaPaths.SkipUnlessRuns(IsaPath.Avx2);
        bool other = !AvxVnni.IsSupported;
        try
        {
            KernelIsa.Avx2VnniOverride = other;
            Assert.Equal(other, RowDot.UsesVnni(IsaPath.Avx2));
            test();
        }
        finally
        {
            KernelIsa.Avx2VnniOverride = null;
        }
    }
}
