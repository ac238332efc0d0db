using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Compiler;

/// <summary>
/// A model as a pipeline of units: unit 0 is the token embedding, units 1..L the transformer layers and unit L+1
/// the output head (final norm, logits, sampling). Stages hold consecutive units.
/// </summary>
public static class LpuUnits
{
    public static int Count(LpuModelShape shape) => shape.Layers + 2;
    public static int Head(LpuModelShape shape) => shape.Layers + 1;
    public static int LayerOf(int unit) => unit - 1;

    public static string Name(LpuModelShape shape, int unit) =>
        unit == 0 ? "embed" : unit == Head(shape) ? "head" : $"layer {LayerOf(unit)}";
}
