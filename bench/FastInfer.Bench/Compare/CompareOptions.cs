using System.Globalization;
using FastInfer.Engine;

namespace FastInfer.Bench.Compare;

/// <summary>The command line of <c>compare</c>: which models, thread counts, repeats and peers.</summary>
public sealed record CompareOptions
{
    /// <summary>A single GGUF to measure instead of the built-in model set.</summary>
    public string? Model { get; init; }
    public bool Quick { get; init; }
    public IReadOnlyList<int> Threads { get; init; } = [1, 2];
    public int Repeats { get; init; } = 3;
    public string? JsonPath { get; init; }
    /// <summary>Where synthetic and quantized models are written (never inside the repository).</summary>
    public string CacheDirectory { get; init; } =
        Environment.GetEnvironmentVariable("FASTINFER_BENCH_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "fastinfer-bench");
    /// <summary>Restricts the model set to entries whose label contains one of these (e.g. "stories15M-Q4_0").</summary>
    public IReadOnlyList<string> Only { get; init; } = [];
    public bool NodePeer { get; init; } = true;
    public IReadOnlyList<int> PromptLengths { get; init; } = [128, 512];
    public int GenerateLength { get; init; } = 128;
    /// <summary>
    /// A sample repeats its call (one prompt, or one generation) until the timed parts reach this many seconds,
    /// so samples of the small models' millisecond calls are not single hiccups of the host.
    /// </summary>
    public double MinSampleSeconds { get; init; } = 0.5;
    /// <summary>FastInfer's KV cache: F32 by default; F16 stores keys and values as the peers' default F16 caches do.</summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F32;

    public const string Usage =
        "compare [-m FILE] [--quick] [--threads 1,2] [--repeats N] [--json out.json] [--dir CACHE] [--only label,...] [--no-node] [--min-sample SECONDS] [--kv-type f32|f16]";

    public static CompareOptions Parse(IReadOnlyList<string> args)
    {
        var options = new CompareOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value; usage: {Usage}");
            options = arg switch
            {
                "-m" or "--model" => options with { Model = Value() },
                "--quick" => options with { Quick = true },
                "--threads" or "-t" => options with { Threads = IntList(arg, Value()) },
                "--repeats" or "-r" => options with { Repeats = PositiveInt(arg, Value()) },
                "--json" => options with { JsonPath = Value() },
                "--dir" => options with { CacheDirectory = Value() },
                "--only" => options with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--no-node" => options with { NodePeer = false },
                "--min-sample" => options with { MinSampleSeconds = NonNegativeSeconds(arg, Value()) },
                "--kv-type" => options with { KvCacheType = CacheType(arg, Value()) },
                _ => throw new ArgumentException($"unknown argument '{arg}'; usage: {Usage}"),
            };
        }
        if (options.Quick)
        {
            // A check after a change, not a report: one model, all cores, two repeats, and no 512-token prompt.
            if (!args.Contains("--repeats") && !args.Contains("-r"))
                options = options with { Repeats = 2 };
            if (!args.Contains("--threads") && !args.Contains("-t"))
                options = options with { Threads = [Environment.ProcessorCount] };
            options = options with { PromptLengths = [128] };
        }
        return options;
    }

    private static KvCacheType CacheType(string name, string text) => text.ToLowerInvariant() switch
    {
        "f32" => KvCacheType.F32,
        "f16" => KvCacheType.F16,
        _ => throw new ArgumentException($"{name} must be f32 or f16, got '{text}'"),
    };

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive integer, got '{text}'");

    private static double NonNegativeSeconds(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && value <= 60
            ? value
            : throw new ArgumentException($"{name} must be a number of seconds from 0 to 60, got '{text}'");

    private static IReadOnlyList<int> IntList(string name, string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => PositiveInt(name, t)).ToArray() is { Length: > 0 } list
            ? list
            : throw new ArgumentException($"{name} needs at least one value");
}
