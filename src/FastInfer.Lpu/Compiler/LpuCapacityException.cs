using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Compiler;

/// <summary>The model does not fit the chips of the spec.</summary>
public sealed class LpuCapacityException(LpuModelShape shape, LpuSpec spec, int chipsNeeded)
    : InvalidOperationException(chipsNeeded > 0
        ? $"{shape.Name} ({shape.Precision.Name()}) does not fit on {spec.Chips} {spec.Name} chips: it needs {chipsNeeded}"
        : $"{shape.Name} ({shape.Precision.Name()}) does not fit on any number of {spec.Name} chips the compiler considers")
{
    public int ChipsNeeded { get; } = chipsNeeded;
    public int ChipsAvailable { get; } = spec.Chips;
}
