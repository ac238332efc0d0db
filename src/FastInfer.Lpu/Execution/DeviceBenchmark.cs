using System.Diagnostics;
using FastInfer.Engine;
using FastInfer.Kernels.Ops;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// What the simulator predicts for a CPU Lpu run and what the run measured: per repeat the plain rate (tokens over
/// wall time) and the rate of its fastest tenth of tokens, which, like the host probes, discounts the tokens that
/// other processes preempted. <see cref="WarmedUp"/> says whether the JIT went quiet before the first measured run.
/// </summary>
public sealed record DeviceBenchmarkResult(string Model, LpuProgram Program, int Tokens, double PredictedTokensPerSecond,
    IReadOnlyList<double> MeasuredTokensPerSecond, IReadOnlyList<double> FastestDecileTokensPerSecond, bool WarmedUp)
{
    /// <summary>
    /// The rate of the fastest token of all runs: the probes' own best-window statistic, so on a loaded machine the
    /// fairest comparison, and on a quiet one close to the other two.
    /// </summary>
    public required double FastestTokenPerSecond { get; init; }

    public double MedianMeasured => Median(MeasuredTokensPerSecond);
    public double MedianFastestDecile => Median(FastestDecileTokensPerSecond);
    /// <summary>Predicted over the fastest-decile rate (1 is a perfect prediction).</summary>
    public double Ratio => PredictedTokensPerSecond / MedianFastestDecile;
    /// <summary>Predicted over the wall-time rate: on a quiet machine the two measured rates agree.</summary>
    public double WallRatio => PredictedTokensPerSecond / MedianMeasured;
    /// <summary>The rate the compiler's spec gives each chip's weight stream (the kernel probe of <see cref="ThisCpu"/>).</summary>
    public double StreamBytesPerSecondPerChip => Program.Spec.WeightStreamBytesPerSecond;

    private static double Median(IReadOnlyList<double> values) => values.Order().ElementAt(values.Count / 2);
}

/// <summary>
/// Calibration of the <c>this-cpu</c> cost model: compiles a model for the CPU device, asks the simulator for the
/// decode rate at the middle of the measured span, then times greedy decoding on the device.
/// </summary>
public static class DeviceBenchmark
{
    public static readonly TimeSpan DefaultWarmupLimit = TimeSpan.FromSeconds(10);

    /// <summary>Tokens of a measured run unless asked otherwise; the token probes cut their windows into runs this long
    /// (<see cref="Hardware.ProbeTimer.SustainedRate(Func{Hardware.ProbeWindow}, TimeSpan, int)"/>).</summary>
    public const int DefaultTokens = 64;
    private const int QuietTokens = 8;

    /// <param name="warmupLimit">Longest warm-up before the measured runs (default <see cref="DefaultWarmupLimit"/>).</param>
    public static DeviceBenchmarkResult Run(string modelPath, int? chips, int tokens, int repeats, string? tokenizerPath = null, TimeSpan? warmupLimit = null)
    {
        if (tokens < 2)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"measure at least 2 tokens, got {tokens}");
        if (repeats < 1)
            throw new ArgumentOutOfRangeException(nameof(repeats), $"repeat at least once, got {repeats}");
        using var model = LlamaModel.Load(modelPath, new ModelLoadOptions { Threads = 1, TokenizerPath = tokenizerPath, Device = LpuDevice.Factory(chips) });
        var device = (LpuDevice)model.Device!;
        int context = Math.Min(model.MaxContextLength, tokens + 1);
        if (context <= tokens)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"{tokens} tokens do not fit the model's context of {model.MaxContextLength}");
        var program = device.Program;
        double predicted = LpuSimulator.Run(program, Math.Max(1, tokens / 2)).TokensPerSecond;

        // Every run's session and times exist before the warm-up, so that the runs follow it and each other with no
        // allocation between them, as a generation's tokens follow each other.
        var times = Enumerable.Range(0, repeats).Select(_ => new double[tokens]).ToArray();
        var sessions = Enumerable.Range(0, repeats).Select(_ => device.CreateSession(context)).ToArray();
        bool warmedUp = WarmUp(device, context, warmupLimit ?? DefaultWarmupLimit);
        for (int r = 0; r < repeats; r++)
            Decode(sessions[r], times[r]);
        // The statistics only after the last run: their code (a sort) was compiled at tier 0 between runs and promoted
        // by the background JIT during the next run, which stalled a stories110M token for tens of milliseconds.
        var measured = new List<double>();
        var fastest = new List<double>();
        double best = double.MaxValue;
        foreach (var run in times)
        {
            measured.Add(tokens / run.Sum());
            var sorted = run.Order().ToArray();
            fastest.Add(1 / sorted[Math.Max(0, tokens / 10 - 1)]);
            best = Math.Min(best, sorted[0]);
        }
        return new DeviceBenchmarkResult(Path.GetFileNameWithoutExtension(modelPath), program, tokens, predicted, measured, fastest, warmedUp) { FastestTokenPerSecond = 1 / best };
    }

    /// <summary>
    /// Decodes until every method a token calls runs optimized code (<see cref="JitWarmup"/>): the first tokens of a
    /// process run tier-0 code, which made the first of three stories15M runs 8 times slower than the others. A token
    /// calls each kernel many times (every layer), so a few quiet tokens suffice; the few methods a token calls once
    /// cost little next to the kernels even before they are optimized.
    /// </summary>
    private static bool WarmUp(LpuDevice device, int context, TimeSpan limit)
    {
        var session = device.CreateSession(context);
        int token = 1, position = 0;
        return JitWarmup.Run(() =>
        {
            if (position == context)
            {
                session = device.CreateSession(context);
                position = 0;
            }
            TimedToken(session, ref token, position++);
        }, JitWarmup.DefaultQuiet, limit, minimumCalls: QuietTokens);
    }

    /// <summary>Greedy decoding from token 1 at position 0 in a fresh session; the seconds of each token.</summary>
    private static void Decode(Engine.Models.IForwardDeviceSession session, Span<double> seconds)
    {
        int token = 1;
        for (int p = 0; p < seconds.Length; p++)
            seconds[p] = TimedToken(session, ref token, p);
    }

    /// <summary>One greedy token, timed. The warm-up calls it too, so that the clock reads a measured token makes
    /// have their optimized code before the first run, not promoted by the background JIT during it.</summary>
    private static double TimedToken(Engine.Models.IForwardDeviceSession session, ref int token, int position)
    {
        long start = Stopwatch.GetTimestamp();
        token = VectorOps.ArgMax(session.Forward(token, position));
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
