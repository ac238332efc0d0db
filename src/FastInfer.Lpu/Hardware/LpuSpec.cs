namespace FastInfer.Lpu.Hardware;

/// <summary>
/// One LPU-style system: identical chips, each with its own SRAM and no DRAM, joined by direct chip-to-chip
/// links. The op latency, hop latency, sync time and token overhead are the cost model's fixed latencies; everything
/// else is a datasheet figure.
/// </summary>
public sealed record LpuSpec
{
    public required string Name { get; init; }
    public required int Chips { get; init; }
    public required double ClockHz { get; init; }
    public required long SramBytesPerChip { get; init; }
    /// <summary>Bandwidth of the SRAM arrays of one chip.</summary>
    public required double SramReadBytesPerSecond { get; init; }
    /// <summary>
    /// Rate at which one chip can deliver weights to its matrix units. On the TSP weights reach the MXM over the
    /// stream fabric, which is narrower than the SRAM arrays; on a CPU it is the same as the cache read rate.
    /// </summary>
    public required double StreamBytesPerSecond { get; init; }
    public required double PeakInt8OpsPerSecond { get; init; }
    public required double PeakFp16FlopsPerSecond { get; init; }
    public required int LinksPerChip { get; init; }
    /// <summary>Bandwidth of one chip-to-chip link in one direction.</summary>
    public required double LinkBytesPerSecond { get; init; }
    /// <summary>Latency of one link hop, serdes and wire included.</summary>
    public required double HopLatencySeconds { get; init; }
    public required int ChipsPerNode { get; init; }
    public required int ChipsPerRack { get; init; }
    /// <summary>Bytes per activation element sent between chips.</summary>
    public required int ActivationBytes { get; init; }
    /// <summary>Pipeline latency, in clock cycles, that every dependent operation adds on top of its data time.</summary>
    public required double OpLatencyCycles { get; init; }
    /// <summary>
    /// Time a receiver adds to every message before it can use it: on a GroqChip the deskew guard that keeps chips with
    /// separate clocks aligned; on a CPU the barrier's release (waiters noticing the last arrival).
    /// </summary>
    public required double SyncSeconds { get; init; }
    /// <summary>
    /// Host work every token pays outside the chips' schedules: handing the token to the chips, waiting for them to
    /// finish and picking the next token from the logits.
    /// </summary>
    public required double TokenOverheadSeconds { get; init; }

    /// <summary>Every chip has a direct path to every other (cores sharing a cache), whatever the link count.</summary>
    public bool FullyConnected { get; init; }

    /// <summary>
    /// Widest chip group a stage can use with <paramref name="chips"/> chips: a collective phase is one message from
    /// every member to every other, which needs a direct link per peer.
    /// </summary>
    public int MaxStageWidth(int chips) => FullyConnected ? chips : Math.Min(chips, LinksPerChip + 1);

    /// <summary>The rate weights actually reach the matrix units: the narrower of SRAM and stream fabric.</summary>
    public double WeightStreamBytesPerSecond => Math.Min(SramReadBytesPerSecond, StreamBytesPerSecond);

    public double OpLatencySeconds => OpLatencyCycles / ClockHz;

    public double PeakOpsPerSecond(LpuPrecision precision) =>
        precision == LpuPrecision.Int8 ? PeakInt8OpsPerSecond : PeakFp16FlopsPerSecond;

    /// <summary>A copy with a different chip count.</summary>
    public LpuSpec WithChips(int chips) => this with { Chips = chips };

    /// <summary>Hops between two chips: one inside a node (all cards are wired to each other), two between nodes
    /// of a rack (local link, then a global port) and three between racks (local, global, local).</summary>
    public int Hops(int fromChip, int toChip)
    {
        if (fromChip == toChip)
            return 0;
        if (fromChip / ChipsPerNode == toChip / ChipsPerNode)
            return 1;
        if (fromChip / ChipsPerRack == toChip / ChipsPerRack)
            return 2;
        return 3;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first value that cannot describe hardware.</summary>
    public void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok)
                throw new ArgumentException("invalid LPU spec: " + what);
        }
        static bool Positive(double v) => v > 0 && double.IsFinite(v);
        Require(!string.IsNullOrWhiteSpace(Name), "name is empty");
        Require(Chips is > 0 and <= 1_000_000, $"chips {Chips}");
        Require(Positive(ClockHz), $"clock {ClockHz} Hz");
        Require(SramBytesPerChip > 0, $"SRAM bytes per chip {SramBytesPerChip}");
        Require(Positive(SramReadBytesPerSecond), $"SRAM bandwidth {SramReadBytesPerSecond}");
        Require(Positive(StreamBytesPerSecond), $"stream bandwidth {StreamBytesPerSecond}");
        Require(Positive(PeakInt8OpsPerSecond), $"int8 peak {PeakInt8OpsPerSecond}");
        Require(Positive(PeakFp16FlopsPerSecond), $"fp16 peak {PeakFp16FlopsPerSecond}");
        Require(LinksPerChip > 0, $"links per chip {LinksPerChip}");
        Require(Positive(LinkBytesPerSecond), $"link bandwidth {LinkBytesPerSecond}");
        Require(HopLatencySeconds >= 0 && double.IsFinite(HopLatencySeconds), $"hop latency {HopLatencySeconds}");
        Require(ChipsPerNode > 0 && ChipsPerRack >= ChipsPerNode, $"{ChipsPerNode} chips per node, {ChipsPerRack} per rack");
        Require(ActivationBytes is 1 or 2 or 4, $"activation bytes {ActivationBytes}");
        Require(OpLatencyCycles >= 0 && double.IsFinite(OpLatencyCycles), $"op latency {OpLatencyCycles} cycles");
        Require(SyncSeconds >= 0 && double.IsFinite(SyncSeconds), $"sync time {SyncSeconds}");
        Require(TokenOverheadSeconds >= 0 && double.IsFinite(TokenOverheadSeconds), $"token overhead {TokenOverheadSeconds}");
    }
}
