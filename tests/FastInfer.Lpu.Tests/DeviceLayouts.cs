using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

/// <summary>The chip layouts the device tests run a model on.</summary>
internal static class DeviceLayouts
{
    /// <summary>
    /// One stage of 1, 2 and 3 chips (tensor parallel), a pipeline of one-chip stages and a pipeline of two-chip
    /// stages (both at once).
    /// </summary>
    public static List<LpuProgram> All(LpuModelShape shape)
    {
        var programs = new List<LpuProgram>();
        for (int chips = 1; chips <= 3; chips++)
            programs.Add(LpuCompiler.Compile(shape, ThisCpu.Spec(chips) with { SramBytesPerChip = 1L << 40 }, stageWidth: chips));
        // Pipelines: SRAM for about two units per chip forces several stages of one chip, and of two chips.
        programs.Add(Pipeline(shape, width: 1));
        programs.Add(Pipeline(shape, width: 2));
        Assert.True(programs[3].Fits && programs[3].Stages.Count >= 2, "the one-chip-stage layout should be a pipeline");
        Assert.True(programs[4].Fits && programs[4].Stages.Count >= 2, "the two-chip-stage layout should be a pipeline");
        return programs;
    }

    private static LpuProgram Pipeline(LpuModelShape shape, int width)
    {
        long largestUnit = Enumerable.Range(0, LpuUnits.Count(shape))
            .Max(unit => UnitPartition.BytesPerMember(UnitPartition.Slices(shape, unit, width), width).Max());
        long reserve = 4L * Math.Max(shape.Embedding, Math.Max(shape.FeedForward, shape.QueryDimension)) * sizeof(float);
        var spec = ThisCpu.Spec(width * LpuUnits.Count(shape)) with { SramBytesPerChip = 2 * largestUnit + reserve };
        return LpuCompiler.Compile(shape, spec, stageWidth: width);
    }
}
