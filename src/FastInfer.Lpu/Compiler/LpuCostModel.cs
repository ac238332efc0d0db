using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Compiler;

/// <summary>Time of a compute step split into the parts the simulator reports.</summary>
public readonly record struct ComputeTime(double Latency, double Arithmetic, double Stream)
{
    /// <summary>Every dependent op pays its pipeline latency; then the step runs at the slower of its arithmetic
    /// and its weight stream (they overlap: the matrix units consume weights as they arrive).</summary>
    public double Total => Latency + Math.Max(Arithmetic, Stream);
}

/// <summary>
/// The physical cost model: per step max(arithmetic, SRAM stream) plus a fixed pipeline latency per dependent op;
/// per message link serialization, hop latency and a synchronisation guard.
/// </summary>
public sealed class LpuCostModel(LpuSpec spec, LpuPrecision precision)
{
    public LpuSpec Spec { get; } = spec;

    /// <summary>A pass of <paramref name="tokens"/> tokens whose first token sits at <paramref name="position"/>.</summary>
    public ComputeTime Compute(LpuStep step, int tokens, int position)
    {
        // Token i of the pass attends to position + i + 1 cached entries; the cache is streamed once per pass.
        double attended = (double)tokens * position + (double)tokens * (tokens + 1) / 2;
        double kvRead = step.KvBytesPerPosition * (position + tokens);
        double ops = step.OpsPerToken * tokens + step.OpsPerPosition * attended;
        return new ComputeTime(
            step.FixedOps * Spec.OpLatencySeconds,
            ops / Spec.PeakOpsPerSecond(precision),
            (step.WeightBytes + kvRead) / Spec.WeightStreamBytesPerSecond);
    }

    /// <summary>Time to put the message on the links: each peer has its own link, up to the chip's link count.</summary>
    public double Serialize(LpuStep send, int tokens)
    {
        int peers = send.Peers.Count;
        if (peers == 0)
            return 0;
        double bytes = (double)send.BytesPerPeerPerToken * tokens * peers;
        return bytes / (Math.Min(peers, Spec.LinksPerChip) * Spec.LinkBytesPerSecond);
    }

    /// <summary>Wire latency from the end of a send to its arrival.</summary>
    public double HopLatency(int fromChip, int toChip) => Spec.Hops(fromChip, toChip) * Spec.HopLatencySeconds;

    /// <summary>Deskew guard the receiver adds (none when a chip hands data to itself).</summary>
    public double Sync(int fromChip, int toChip) => fromChip == toChip ? 0 : Spec.SyncSeconds;
}
