using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

public class CapacityTests
{
    [Fact]
    public void Too_few_chips_give_fits_false_with_the_chips_needed()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("llama2-70b"), GroqChip1.Spec(200));
        Assert.False(program.Fits);
        // 69 GB of int8 weights: at least 69e9 / 230.7e6 = 300 chips, and whole layers per chip group round it up.
        Assert.InRange(program.ChipsNeeded, 300, 576);
        Assert.Empty(program.Tiles);
        var error = Assert.Throws<LpuCapacityException>(() => LpuSimulator.Run(program));
        Assert.Contains(program.ChipsNeeded.ToString(), error.Message);
        Assert.Contains("200", error.Message);
    }

    [Fact]
    public void Chips_needed_is_the_smallest_count_that_fits()
    {
        var shape = LpuModelShapes.ByName("llama2-7b");
        int needed = LpuCompiler.Compile(shape, GroqChip1.Spec(1)).ChipsNeeded;
        Assert.True(needed > 1);
        Assert.True(LpuCompiler.Compile(shape, GroqChip1.Spec(needed)).Fits);
        Assert.False(LpuCompiler.Compile(shape, GroqChip1.Spec(needed - 1)).Fits);
    }

    [Fact]
    public void Chips_needed_respects_the_stage_width_the_links_allow()
    {
        // Three links per chip allow stages of at most four chips; the count must be one the compiler can build.
        var shape = LpuModelShapes.ByName("tinyllama-1.1b");
        var spec = Programs.GroqWithSram(1, 24L << 20) with { LinksPerChip = 3 };
        int needed = LpuCompiler.Compile(shape, spec).ChipsNeeded;
        Assert.True(needed > 4);
        var program = LpuCompiler.Compile(shape, spec.WithChips(needed));
        Assert.True(program.Fits);
        Assert.True(program.StageWidth <= 4);
        Assert.False(LpuCompiler.Compile(shape, spec.WithChips(needed - 1)).Fits);
    }

    [Fact]
    public void Fp16_weights_of_70B_do_not_fit_576_chips()
    {
        // 138 GB of fp16 weights against 576 x 230.7 MB = 132.9 GB (the facts doc's capacity check).
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("llama2-70b", LpuPrecision.Fp16), GroqChip1.Spec(576));
        Assert.False(program.Fits);
        Assert.True(program.ChipsNeeded > 576);
    }
}
