using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

public class ExpertPlacementTests
{
    private static readonly LpuModelShape Mixtral = LpuModelShapes.ByName("mixtral-8x7b");

    [Fact]
    public void With_more_chips_than_experts_each_expert_has_its_own_chips()
    {
        var program = Programs.Mixtral_On576;
        int width = program.StageWidth;
        Assert.True(width >= Mixtral.Experts, $"expected a stage at least {Mixtral.Experts} wide, got {width}");
        for (int layer = 0; layer < Mixtral.Layers; layer++)
        {
            var experts = program.Tiles.Where(t => t.Layer == layer && t.Expert >= 0).ToList();
            var chipsOf = experts.GroupBy(t => t.Expert).ToDictionary(g => g.Key, g => g.Select(t => t.Chip).Distinct().ToArray());
            Assert.Equal(Mixtral.Experts, chipsOf.Count);
            // every chip of the stage works for exactly one expert, and the experts share the chips evenly
            Assert.All(experts.GroupBy(t => t.Chip), g => Assert.Single(g.Select(t => t.Expert).Distinct()));
            Assert.All(chipsOf.Values, c => Assert.InRange(c.Length, width / Mixtral.Experts, (width + Mixtral.Experts - 1) / Mixtral.Experts));
            Assert.Equal(width, chipsOf.Values.Sum(c => c.Length));
        }
    }

    [Fact]
    public void With_fewer_chips_than_experts_chips_hold_several_whole_experts()
    {
        var slices = UnitPartition.Slices(Mixtral, unit: 1, width: 3);
        var byExpert = slices.Where(s => s.Expert >= 0).GroupBy(s => s.Expert).ToDictionary(g => g.Key, g => g.Select(s => s.Member).Distinct().Single());
        Assert.Equal(Enumerable.Range(0, 8), byExpert.Keys.Order());
        var perMember = byExpert.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([3, 3, 2], perMember.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray());
        // whole experts: each expert's gate rows span the full hidden size on its one chip
        Assert.All(slices.Where(s => s.Tensor == LpuTensor.ExpertGate), s => Assert.Equal((0, Mixtral.FeedForward), (s.Start, s.End)));
    }

    [Fact]
    public void The_schedule_reserves_time_for_the_worst_routing_only()
    {
        // Three chips per stage: a chip with three experts streams the two it could be asked for, not all three.
        var spec = Programs.GroqWithSram(64, 4L << 30);
        long usable = LpuCompiler.UsableSram(Mixtral, spec);
        var layout = StageLayout.Pack(Mixtral, 3, usable)!;
        var program = ScheduleBuilder.Build(Mixtral, spec, layout, chipsNeeded: 0, usable, position: 0);
        long expertBytes = Mixtral.FeedForwardWeightsPerExpert; // int8: one byte per weight
        var chip0 = program.Schedules[0].Where(s => s.Unit == 1 && s.Label.Contains("moe.")).ToList();
        long streamed = chip0.Where(s => s.Label.EndsWith("gate_up") || s.Label.EndsWith("down")).Sum(s => s.WeightBytes);
        Assert.Equal(Mixtral.ExpertsUsed * expertBytes, streamed);
        Assert.Contains(chip0, s => s.Label.EndsWith("moe.route") && s.FixedOps == 3 + 2 * Mixtral.ExpertsUsed + 1);
        // the router logits are shared with the group before routing
        Assert.Contains(program.Schedules[0], s => s.Unit == 1 && s.Kind == LpuStepKind.Send && s.Label.EndsWith("moe.logits"));
    }
}
