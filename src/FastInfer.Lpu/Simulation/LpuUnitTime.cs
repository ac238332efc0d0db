namespace FastInfer.Lpu.Simulation;

/// <summary>Time one pipeline unit (embedding, a layer, the head) adds to a token, on its slowest chip.</summary>
public sealed record LpuUnitTime(string Name, int Unit, int CriticalChip, LpuTimeSplit Split);
