using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Compiler;

/// <summary>
/// Places a model on an LPU system and fixes every chip's schedule ahead of time. Candidate layouts differ in the
/// tensor-parallel width of the stages (1 to <see cref="LpuSpec.MaxStageWidth"/> chips); for each width the units are packed
/// into as few stages as the SRAM allows, and the layout whose schedule simulates fastest wins (ties: fewer chips,
/// then narrower stages), so the same inputs always give the same program.
/// </summary>
public static class LpuCompiler
{
    /// <summary>Decode position the program's step times are computed for.</summary>
    public const int DefaultReferencePosition = 512;

    /// <param name="stageWidth">Only consider stages of this many chips (null: every width the links allow).</param>
    public static LpuProgram Compile(LpuModelShape shape, LpuSpec spec, int referencePosition = DefaultReferencePosition, int? stageWidth = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(spec);
        shape.Validate();
        spec.Validate();
        int position = Math.Clamp(referencePosition, 0, shape.Context - 1);
        long usable = UsableSram(shape, spec);
        int needed = ChipsNeeded(shape, spec, usable);

        LpuProgram? best = null;
        double bestSeconds = double.MaxValue;
        if (stageWidth is { } forced && (forced < 1 || forced > spec.MaxStageWidth(spec.Chips)))
            throw new ArgumentOutOfRangeException(nameof(stageWidth), $"a stage of {forced} chips is not possible on {spec.Chips} {spec.Name} chips (1 to {spec.MaxStageWidth(spec.Chips)})");
        for (int width = stageWidth ?? 1; width <= (stageWidth ?? spec.MaxStageWidth(spec.Chips)); width++)
        {
            var layout = StageLayout.Pack(shape, width, usable);
            if (layout is null || layout.Chips > spec.Chips)
                continue;
            var program = ScheduleBuilder.Build(shape, spec, layout, needed, usable, position);
            double seconds = LpuSimulator.SecondsPerToken(program, position);
            if (best is null || seconds < bestSeconds * (1 - 1e-12) ||
                (Math.Abs(seconds - bestSeconds) <= bestSeconds * 1e-12 && program.ChipsUsed < best.ChipsUsed))
            {
                best = program;
                bestSeconds = seconds;
            }
        }
        return best ?? new LpuProgram { Shape = shape, Spec = spec, Fits = false, ChipsNeeded = needed, UsableSramPerChip = usable, ReferencePosition = position };
    }

    /// <summary>
    /// SRAM a chip can give to tiles: the rest double-buffers the activations a stage works on (the widest vector a
    /// step produces, in fp32, four times over).
    /// </summary>
    public static long UsableSram(LpuModelShape shape, LpuSpec spec)
    {
        long widest = Math.Max(Math.Max(shape.Embedding, shape.FeedForward), shape.QueryDimension);
        return Math.Max(0, spec.SramBytesPerChip - 4 * widest * sizeof(float));
    }

    /// <summary>
    /// Fewest chips of this kind that hold the model, over the stage widths such a system allows: widths 1..256 and
    /// then every 1/16 step up to 2^20 (exhaustive where it matters; the sparse tail only serves models far too large
    /// for the spec). 0 if none fits.
    /// </summary>
    public static int ChipsNeeded(LpuModelShape shape, LpuSpec spec, long usableBytesPerChip)
    {
        int best = 0, widest = spec.MaxStageWidth(1 << 20);
        for (int width = 1; width <= widest; width = width < 256 ? width + 1 : width + width / 16)
        {
            if (best > 0 && width > best)
                break;
            var layout = StageLayout.Pack(shape, width, usableBytesPerChip);
            if (layout is not null && (best == 0 || layout.Chips < best))
                best = layout.Chips;
        }
        return best;
    }
}
