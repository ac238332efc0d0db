using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

public class SimulatorTests
{
    private static readonly LpuProgram TinyLlama = LpuCompiler.Compile(LpuModelShapes.ByName("tinyllama-1.1b"), GroqChip1.Spec(64));

    [Fact]
    public void The_per_unit_split_accounts_for_the_token_time()
    {
        var simulation = LpuSimulator.Run(TinyLlama, 256);
        Assert.Equal(LpuUnits.Count(TinyLlama.Shape), simulation.Units.Count);
        Assert.Equal(simulation.SecondsPerToken, simulation.Total.Total, 0.02 * simulation.SecondsPerToken);
        Assert.Equal(1 / simulation.SecondsPerToken, simulation.TokensPerSecond, 1e-9);
        Assert.All(simulation.Units, u => Assert.True(u.Split.Compute > 0 && u.Split.Stream >= 0 && u.Split.Transfer >= 0 && u.Split.Sync >= 0));
    }

    [Fact]
    public void Longer_contexts_and_prompts_cost_more()
    {
        var shortPrompt = LpuSimulator.Run(TinyLlama, 16);
        var longPrompt = LpuSimulator.Run(TinyLlama, 2000);
        Assert.True(longPrompt.SecondsPerToken > shortPrompt.SecondsPerToken);
        Assert.True(longPrompt.TimeToFirstTokenSeconds > shortPrompt.TimeToFirstTokenSeconds);
        // a prompt pass is at least one decode pass
        Assert.True(shortPrompt.TimeToFirstTokenSeconds >= LpuSimulator.SecondsPerToken(TinyLlama, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LpuSimulator.Run(TinyLlama, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LpuSimulator.Run(TinyLlama, TinyLlama.Shape.Context));
    }

    [Fact]
    public void Slower_links_slow_a_multi_chip_program_down()
    {
        var shape = LpuModelShapes.ByName("tinyllama-1.1b");
        var fast = LpuCompiler.Compile(shape, GroqChip1.Spec(64));
        var slow = LpuCompiler.Compile(shape, GroqChip1.Spec(64) with { HopLatencySeconds = 5e-6 });
        Assert.True(LpuSimulator.Run(slow, 64).SecondsPerToken > LpuSimulator.Run(fast, 64).SecondsPerToken);
    }

    [Fact]
    public void A_receive_without_a_sender_is_reported_as_a_deadlock()
    {
        var spec = GroqChip1.Spec(2);
        var shape = LpuModelShapes.ByName("stories15M");
        var program = new LpuProgram
        {
            Shape = shape, Spec = spec, Fits = true, ChipsNeeded = 1,
            Stages = [new LpuStage(0, 0, 2, 0, LpuUnits.Head(shape))],
            Schedules =
            [
                [new LpuStep { Kind = LpuStepKind.Receive, Label = "orphan", Unit = 0, Peers = [1], Tag = 7 }],
                [],
            ],
        };
        Assert.Contains("deadlock", Assert.Throws<InvalidOperationException>(() => LpuSimulator.Run(program, 8)).Message);
    }
}
