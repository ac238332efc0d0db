using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

public class DeterminismTests
{
    [Theory]
    [InlineData("tinyllama-1.1b", 64)]
    [InlineData("mixtral-8x7b", 300)]
    public void The_same_input_compiles_to_the_identical_program(string model, int chips)
    {
        var shape = LpuModelShapes.ByName(model);
        var first = LpuCompiler.Compile(shape, GroqChip1.Spec(chips));
        var second = LpuCompiler.Compile(shape with { }, GroqChip1.Spec(chips));
        Assert.Equal(first.Describe(), second.Describe());
        Assert.Equal(first.Fingerprint(), second.Fingerprint());
        Assert.Equal(LpuSimulator.Run(first, 100).SecondsPerToken, LpuSimulator.Run(second, 100).SecondsPerToken);
    }

    [Fact]
    public void A_different_system_gives_a_different_program()
    {
        var shape = LpuModelShapes.ByName("tinyllama-1.1b");
        var a = LpuCompiler.Compile(shape, GroqChip1.Spec(64));
        var b = LpuCompiler.Compile(shape, Programs.GroqWithSram(64, 32L << 20));
        Assert.NotEqual(a.Fingerprint(), b.Fingerprint());
    }

    [Fact]
    public void Step_times_are_the_cost_models()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("tinyllama-1.1b"), GroqChip1.Spec(64));
        var cost = new LpuCostModel(program.Spec, program.Shape.Precision);
        foreach (var step in program.Schedules.SelectMany(s => s).Where(s => s.Kind is LpuStepKind.Compute or LpuStepKind.Reduce))
            Assert.Equal(cost.Compute(step, 1, program.ReferencePosition).Total, step.Seconds);
        Assert.All(program.Schedules.SelectMany(s => s), s => Assert.True(s.Seconds >= 0 && double.IsFinite(s.Seconds)));
    }
}
