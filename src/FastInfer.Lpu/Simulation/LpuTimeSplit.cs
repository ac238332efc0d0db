namespace FastInfer.Lpu.Simulation;

/// <summary>Where time goes: functional-unit work and pipeline latency, weight/KV streaming from SRAM, link
/// serialization and hop latency, and synchronisation (deskew guards and waiting for the slowest peer).</summary>
public readonly record struct LpuTimeSplit(double Compute, double Stream, double Transfer, double Sync)
{
    public double Total => Compute + Stream + Transfer + Sync;

    public static LpuTimeSplit operator +(LpuTimeSplit a, LpuTimeSplit b) =>
        new(a.Compute + b.Compute, a.Stream + b.Stream, a.Transfer + b.Transfer, a.Sync + b.Sync);
}
