namespace FastInfer.Lpu.Simulation;

/// <summary>What <see cref="LpuSimulator"/> reports for a program.</summary>
public sealed record LpuSimulation
{
    public required int PromptTokens { get; init; }
    /// <summary>A decode token: the critical path through the chips' schedules plus <see cref="HostSecondsPerToken"/>.</summary>
    public required double SecondsPerToken { get; init; }
    /// <summary>The spec's host work per token (<see cref="Hardware.LpuSpec.TokenOverheadSeconds"/>), outside the units' split.</summary>
    public required double HostSecondsPerToken { get; init; }
    public double TokensPerSecond => 1 / SecondsPerToken;
    public required double TimeToFirstTokenSeconds { get; init; }
    /// <summary>Per-unit split of one decode token at position <see cref="PromptTokens"/>.</summary>
    public required IReadOnlyList<LpuUnitTime> Units { get; init; }
    public LpuTimeSplit Total => Units.Aggregate(default(LpuTimeSplit), (sum, u) => sum + u.Split);
}
