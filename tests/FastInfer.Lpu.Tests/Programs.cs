using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

/// <summary>Compiled programs shared by the tests (compiling the 70B-class models takes a moment).</summary>
internal static class Programs
{
    private static readonly Lazy<LpuProgram> Llama70B = new(() => LpuCompiler.Compile(LpuModelShapes.ByName("llama2-70b"), GroqChip1.Spec(576)));
    private static readonly Lazy<LpuProgram> Mixtral = new(() => LpuCompiler.Compile(LpuModelShapes.ByName("mixtral-8x7b"), GroqChip1.Spec(576)));

    public static LpuProgram Llama2_70B_On576 => Llama70B.Value;
    public static LpuProgram Mixtral_On576 => Mixtral.Value;

    /// <summary>A GroqChip system with a different SRAM size, to force other layouts on small models.</summary>
    public static LpuSpec GroqWithSram(int chips, long sramBytes) => GroqChip1.Spec(chips) with { SramBytesPerChip = sramBytes };
}
