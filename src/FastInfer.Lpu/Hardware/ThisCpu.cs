using FastInfer.Kernels;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// This machine seen as an LPU system: each core is a chip, its L2 plus its share of L3 is its SRAM, and cores
/// exchange activations through the shared cache hierarchy. Bandwidths and peak come from <see cref="HostProbe"/>.
/// </summary>
public static class ThisCpu
{
    public const string Name = "this-cpu";

    /// <summary>Used when /sys/devices/system/cpu/cpu0/cpufreq is unreadable; only converts cycle latencies to time.</summary>
    public const double FallbackClockHz = 3.0e9;

    public static LpuSpec Spec(int? chips = null)
    {
        int count = chips ?? Environment.ProcessorCount;
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(chips), $"a system needs at least one chip, got {count}");
        // One chip has no peer to wait for.
        double barrier = count > 1 ? TokenLoopProbe.BarrierSeconds(count) : 0;
        return Build(CpuCacheTopology.Read(), HostProbe.Current, ReadClockHz(), count, barrier, TokenLoopProbe.HostCallSeconds);
    }

    /// <summary>
    /// The spec the CPU device runs <paramref name="shape"/> on. A core's "SRAM" is its cache, but unlike a GroqChip a
    /// core can also read DRAM: when the model's bytes per chip do not fit the cache, the tiles live in DRAM, so each
    /// chip's memory is its share of RAM. Two figures are measured with the kernel the device calls
    /// (<see cref="KernelProbe"/>), for the model's weight type:
    /// <list type="bullet">
    /// <item>the rate a chip streams its tiles: every chip makes its share of a token's matrix-vector calls
    /// (<see cref="TokenCalls"/>) over and over, all at once, on weights as large as its own. That rate includes where
    /// the bytes come from (L2, L3 or DRAM) and what the cores share (caches, DRAM bandwidth);</item>
    /// <item>the pipeline latency of a dependent operation: what a matrix-vector call costs besides its rows.</item>
    /// </list>
    /// </summary>
    public static LpuSpec DeviceSpec(LpuModelShape shape, int chips) => DeviceSpec(shape, chips, fresh: false);

    /// <summary>As <see cref="DeviceSpec(LpuModelShape, int)"/>; when <paramref name="fresh"/>, the kernel probes are
    /// taken now, however recent the kept ones (<c>lpu calibrate</c> takes one right before each measured run).</summary>
    internal static LpuSpec DeviceSpec(LpuModelShape shape, int chips, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var spec = Spec(chips);
        double perChip = (shape.TotalWeights * shape.WeightBytes + shape.Layers * (double)shape.KvCacheBytesPerLayer) / chips;
        var type = shape.WeightType ?? (shape.Precision == LpuPrecision.Int8 ? GgmlType.Q8_0 : GgmlType.F16);
        var token = KernelProbe.Token(type, TokenCalls(shape, chips), chips, fresh);
        double opLatency = KernelProbe.CallSeconds(type, shape.Embedding);
        spec = spec with
        {
            SramReadBytesPerSecond = token.StreamBytesPerSecond,
            StreamBytesPerSecond = token.StreamBytesPerSecond,
            // The barrier's release as the token probe met it, with the device's threads, placement and waits.
            SyncSeconds = chips > 1 ? token.BarrierSeconds : 0,
            OpLatencyCycles = opLatency * spec.ClockHz,
            // The host's greedy pick reads the logits once, from the cache the head just wrote them to.
            TokenOverheadSeconds = spec.TokenOverheadSeconds + shape.Vocabulary * (double)sizeof(float) / HostProbe.Current.CacheReadBytesPerSecond,
        };
        if (perChip <= LpuCompiler.UsableSram(shape, spec))
            return spec;
        long ram = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return spec with { SramBytesPerChip = Math.Max(spec.SramBytesPerChip, ram / chips) };
    }

    /// <summary>
    /// One chip's matrix-vector calls for a token when <paramref name="chips"/> chips split every matrix by output rows
    /// (the layout the compiler picks on a few cores: one tensor-parallel stage), grouped in the steps that end at a
    /// transfer of the schedule: per layer the query, key and value projections (then the heads are gathered), the
    /// output projection, gate and up for every expert a token uses (then the hidden rows are gathered), down; then the
    /// output head. The router and the embedding row are left out: a token reads a few kilobytes of them.
    /// </summary>
    internal static List<MatrixCall[]> TokenCalls(LpuModelShape shape, int chips)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (chips < 1)
            throw new ArgumentOutOfRangeException(nameof(chips), $"a system needs at least one chip, got {chips}");
        MatrixCall Slice(int rows, int columns) => new(Math.Max(1, (rows + chips - 1) / chips), columns);
        int experts = Math.Max(1, shape.ExpertsUsed);
        var steps = new List<MatrixCall[]>();
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            steps.Add([Slice(shape.QueryDimension, shape.Embedding), Slice(shape.KvDimension, shape.Embedding), Slice(shape.KvDimension, shape.Embedding)]);
            steps.Add([Slice(shape.Embedding, shape.QueryDimension)]);
            steps.Add(Enumerable.Repeat(Slice(shape.FeedForward, shape.Embedding), 2 * experts).ToArray());
            steps.Add(Enumerable.Repeat(Slice(shape.Embedding, shape.FeedForward), experts).ToArray());
        }
        steps.Add([Slice(shape.Vocabulary, shape.Embedding)]);
        return steps;
    }

    /// <summary>Weights that stream through the matrix units over many tokens: all but an untied embedding table.</summary>
    internal static long StreamedWeights(LpuModelShape shape) =>
        shape.TotalWeights - (shape.TiedEmbeddings ? 0 : shape.EmbeddingWeights);

    internal static LpuSpec Build(CpuCacheTopology caches, HostMeasurement measured, double clockHz, int chips, double barrierSeconds, double hostCallSeconds) => new()
    {
        Name = Name,
        Chips = chips,
        ClockHz = clockHz,
        SramBytesPerChip = caches.PrivateBytesPerCore,
        SramReadBytesPerSecond = measured.CacheReadBytesPerSecond,
        // A core's loads feed its FMA units directly: there is no narrower path between cache and ALUs.
        StreamBytesPerSecond = measured.CacheReadBytesPerSecond,
        PeakInt8OpsPerSecond = measured.Fp32FlopsPerSecond * HostProbe.Int8OpsPerFp32Flop,
        // FastInfer's kernels widen fp16 to fp32 before the FMA, so fp16 runs at the fp32 rate.
        PeakFp16FlopsPerSecond = measured.Fp32FlopsPerSecond,
        // Every core reaches every other through the shared L3; a line written by one core may also travel via
        // memory, so the DRAM-sized probe is the bandwidth we can count on for one core-to-core "link".
        LinksPerChip = Math.Max(1, chips - 1),
        FullyConnected = true,
        LinkBytesPerSecond = measured.DramReadBytesPerSecond,
        // A transfer is a write into the shared cache followed by a barrier; the lines' trips between cores are part of
        // the barrier's measured release (SyncSeconds), so no separate hop is charged.
        HopLatencySeconds = 0,
        ChipsPerNode = chips,
        ChipsPerRack = chips,
        ActivationBytes = sizeof(float),
        // Loop set-up plus the drain of the load/FMA pipeline for one dependent operation; DeviceSpec replaces this
        // guess by the measured cost of a kernel call for the model's weight type and width.
        OpLatencyCycles = 200,
        // Measured (TokenLoopProbe.BarrierSeconds): the mean time from the last chip's arrival at the device's own
        // barrier until every waiter has left it, with one thread per chip. Every receive of the schedule pays it,
        // including the head's two per token, which on this CPU are the host learning that the chips finished and
        // the chips learning of the next token.
        SyncSeconds = barrierSeconds,
        // Measured (TokenLoopProbe.HostCallSeconds): the mean of an empty token through a one-chip team, the host's
        // own part of every token. DeviceSpec adds the host's pick of the next token over the model's vocabulary.
        TokenOverheadSeconds = hostCallSeconds,
    };

    private static double ReadClockHz()
    {
        try
        {
            const string maxFreq = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";
            if (File.Exists(maxFreq) && long.TryParse(File.ReadAllText(maxFreq).Trim(), out var khz) && khz is > 100_000 and < 20_000_000)
                return khz * 1e3;
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (!line.StartsWith("cpu MHz", StringComparison.Ordinal))
                        continue;
                    var value = line[(line.IndexOf(':') + 1)..].Trim();
                    if (double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var mhz) && mhz is > 100 and < 20_000)
                        return mhz * 1e6;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // fall through to the fallback
        }
        return FallbackClockHz;
    }
}
