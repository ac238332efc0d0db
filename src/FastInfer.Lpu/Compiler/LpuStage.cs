namespace FastInfer.Lpu.Compiler;

/// <summary>A pipeline stage: units [<see cref="FirstUnit"/>, <see cref="LastUnit"/>] on chips
/// [<see cref="FirstChip"/>, <see cref="FirstChip"/> + <see cref="Width"/>).</summary>
public sealed record LpuStage(int Index, int FirstChip, int Width, int FirstUnit, int LastUnit);
