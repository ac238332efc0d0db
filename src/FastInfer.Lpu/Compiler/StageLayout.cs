using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Compiler;

/// <summary>
/// A candidate layout: every stage is <see cref="Width"/> chips wide and holds the consecutive units
/// <see cref="Stages"/> lists. Built by packing units in pipeline order while every chip's share stays within its SRAM.
/// </summary>
internal sealed record StageLayout(int Width, IReadOnlyList<(int FirstUnit, int LastUnit)> Stages)
{
    public int Chips => Width * Stages.Count;

    /// <summary>Packs the units at <paramref name="width"/>; null when some unit alone overflows a chip.</summary>
    public static StageLayout? Pack(LpuModelShape shape, int width, long usableBytesPerChip)
    {
        var stages = new List<(int, int)>();
        var load = new long[width];
        int first = 0;
        // Every layer is cut the same way, so its bytes per member are computed once.
        long[] Bytes(int unit) => UnitPartition.BytesPerMember(UnitPartition.Slices(shape, unit, width), width);
        long[] embedding = Bytes(0), layer = Bytes(1), head = Bytes(LpuUnits.Head(shape));
        for (int unit = 0; unit < LpuUnits.Count(shape); unit++)
        {
            var bytes = unit == 0 ? embedding : unit == LpuUnits.Head(shape) ? head : layer;
            if (bytes.Max() > usableBytesPerChip)
                return null;
            bool fitsHere = true;
            for (int m = 0; m < width; m++)
                fitsHere &= load[m] + bytes[m] <= usableBytesPerChip;
            if (!fitsHere)
            {
                stages.Add((first, unit - 1));
                first = unit;
                Array.Clear(load);
            }
            for (int m = 0; m < width; m++)
                load[m] += bytes[m];
        }
        stages.Add((first, LpuUnits.Count(shape) - 1));
        return new StageLayout(width, stages);
    }
}
