using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>One kernel's measured speed and how close it comes to the machine limit that bounds it.</summary>
/// <param name="Limit">which ceiling bounds it: "read-bw-1t", "read-bw-all" (GB/s), "fma-all" (GFLOP/s), or "int8-all (vpdpbusd)" or
/// "int8-all (maddubs)" (GOP/s of the instruction the integer kernels run on the kernel path); empty when none applies.</param>
/// <param name="Ratio">achieved ÷ limit (GB/s or GFLOP/s), when a limit applies.</param>
/// <param name="LimitValue">the limit's value the ratio divides by (GB/s, GFLOP/s or GOP/s).</param>
public sealed record KernelResult(
    string Name,
    string Shape,
    int Threads,
    double MicrosecondsPerCall,
    double? GigabytesPerSecond,
    double? GigaflopsPerSecond,
    string Limit,
    double? Ratio,
    double? LimitValue = null);

/// <summary>The quick runner's whole result: the machine's ceilings, then every kernel against them.</summary>
public sealed record BenchKernelsReport(string Isa, MachineLimits Machine, IReadOnlyList<KernelResult> Kernels, double TotalSeconds)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Limits of this run that contradict each other (<see cref="MachineLimits.Inconsistencies"/>).</summary>
    public IReadOnlyList<string> Warnings => Machine.Inconsistencies();

    /// <summary>The report as one JSON object.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
