namespace FastInfer.Lpu.Simulation;

/// <summary>Where time goes: functional-unit work and pipeline latency, weight/KV streaming from SRAM, link
/// serialization and hop latency, and synchronisation (deskew guards and waiting for the slowest peer).</summary>
public readonly record struct LpuTimeSplit(double Compute, double Stream, double Transfer, double Sync)
{
    public double Total => Compute + Stream + Transfer + Sync;

    public static LpuTimeSplit operator +(LpuTimeSplit a, LpuTimeSplit b) =>
        new(a.Compute + b.Compute, a.Stream + b.Stream, a.Transfer + b.Transfer, a.Sync + b.Sync);
}

/// <summary>Time one pipeline unit (embedding, a layer, the head) adds to a token, on its slowest chip.</summary>
public sealed record LpuUnitTime(string Name, int Unit, int CriticalChip, LpuTimeSplit Split);

/// <summary>What <see cref="LpuSimulator"/> reports for a program.</summary>
public sealed record LpuSimulation
{
    public required int PromptTokens { get; init; }
    public required double SecondsPerToken { get; init; }
    public double TokensPerSecond => 1 / SecondsPerToken;
    public required double TimeToFirstTokenSeconds { get; init; }
    /// <summary>Per-unit split of one decode token at position <see cref="PromptTokens"/>.</summary>
    public required IReadOnlyList<LpuUnitTime> Units { get; init; }
    public LpuTimeSplit Total => Units.Aggregate(default(LpuTimeSplit), (sum, u) => sum + u.Split);
}
