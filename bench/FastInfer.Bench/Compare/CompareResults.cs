namespace FastInfer.Bench.Compare;

/// <summary>One engine on one model at one thread count.</summary>
public sealed class EngineResult
{
    public required string Engine { get; init; }
    public required int Threads { get; init; }
    public string Settings { get; set; } = "";
    public string? Error { get; set; }
    public double LoadSeconds { get; set; }
    public long PeakBytes { get; set; }
    /// <summary>Tokens per second by test name (pp128, pp512, tg128).</summary>
    public Dictionary<string, Sample> TokensPerSecond { get; } = [];

    public Sample For(string test) => TokensPerSecond.TryGetValue(test, out var s) ? s : TokensPerSecond[test] = new Sample();
}

/// <summary>Everything measured on one model.</summary>
public sealed class ModelResult
{
    public required string Label { get; init; }
    public required string Path { get; init; }
    public long WeightBytesPerToken { get; set; }
    public double BandwidthBeforeGBs { get; set; }
    public double BandwidthAfterGBs { get; set; }
    public string? Error { get; set; }
    public List<EngineResult> Engines { get; } = [];

    /// <summary>The lower of the two bandwidth measurements: the conservative ceiling for this model's runs.</summary>
    public double BandwidthGBs => Math.Min(BandwidthBeforeGBs, BandwidthAfterGBs) is var bw && bw > 0 ? bw : Math.Max(BandwidthBeforeGBs, BandwidthAfterGBs);
}

/// <summary>The whole run: machine, settings and every model.</summary>
public sealed class CompareRun
{
    public required string Machine { get; init; }
    public required string Command { get; init; }
    public required DateTime StartedUtc { get; init; }
    public required int Repeats { get; init; }
    /// <summary>Each sample repeats its call until the timed parts add up to this many seconds.</summary>
    public double MinSampleSeconds { get; init; }
    public List<ModelResult> Models { get; } = [];
}
