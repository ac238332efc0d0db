using System.Diagnostics;
using FastInfer.Engine;
using FastInfer.Kernels.Ops;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// What the simulator predicts for a CPU Lpu run and what the runs measured. Every token is timed with the signs of a
/// disturbance the probes use (<see cref="MeasuredToken"/>); <see cref="MeasuredRate"/>, the device's speed, leaves the
/// disturbed tokens out by the probes' own rule. The plain per-run rates (tokens over wall time) and the fastest tenth
/// are kept beside it. <see cref="WarmedUp"/> says whether the JIT went quiet before the first measured run.
/// </summary>
public sealed record DeviceBenchmarkResult(string Model, LpuProgram Program, int Tokens, double PredictedTokensPerSecond,
    IReadOnlyList<double> MeasuredTokensPerSecond, IReadOnlyList<double> FastestDecileTokensPerSecond, bool WarmedUp)
{
    /// <summary>
    /// The simulator's rate from each spec probed right before a measured run (<see cref="DeviceBenchmark"/>);
    /// <see cref="PredictedTokensPerSecond"/> is their median.
    /// </summary>
    public required IReadOnlyList<double> ProbedPredictions { get; init; }

    /// <summary>The device's layout compiled with the probed spec whose prediction is the median: the figures the
    /// prediction came from.</summary>
    public required LpuProgram PredictionProgram { get; init; }

    /// <summary>
    /// The rate of the fastest token of all runs: the probes' own best-window statistic, so on a loaded machine the
    /// fairest comparison, and on a quiet one close to the other two.
    /// </summary>
    public required double FastestTokenPerSecond { get; init; }

    /// <summary>Every timed token of every run, in the order they ran.</summary>
    public required IReadOnlyList<MeasuredToken> MeasuredTokens { get; init; }

    /// <summary>
    /// The device's speed: the tokens no other thread and no JIT disturbed, in the order they ran, cut into runs of
    /// <see cref="Tokens"/>, the median run's tokens over its seconds (<see cref="ProbeTimer.UndisturbedRate"/>, the
    /// rule the probes that make the prediction use).
    /// </summary>
    public double MeasuredRate => ProbeTimer.UndisturbedRate(MeasuredTokens.Select(t => new ProbeWindow(1, t.Seconds, t.Disturbed)).ToList(), Tokens);

    /// <summary>Tokens left out of <see cref="MeasuredRate"/>.</summary>
    public int DroppedTokens => MeasuredTokens.Count(t => t.Disturbed);

    public double MedianMeasured => Median(MeasuredTokensPerSecond);
    public double MedianFastestDecile => Median(FastestDecileTokensPerSecond);
    /// <summary>Predicted over the measured device speed (<see cref="MeasuredRate"/>; 1 is a perfect prediction).</summary>
    public double Ratio => PredictedTokensPerSecond / MeasuredRate;
    /// <summary>Predicted over the median run's wall-time rate, disturbed tokens included.</summary>
    public double WallRatio => PredictedTokensPerSecond / MedianMeasured;
    /// <summary>The rate the compiler's spec gives each chip's weight stream (the kernel probe of <see cref="ThisCpu"/>).</summary>
    public double StreamBytesPerSecondPerChip => PredictionProgram.Spec.WeightStreamBytesPerSecond;

    private static double Median(IReadOnlyList<double> values) => values.Order().ElementAt(values.Count / 2);
}

/// <summary>
/// Calibration of the <c>this-cpu</c> cost model: compiles a model for the CPU device, then, for each run asked for,
/// probes the machine again, asks the simulator for the decode rate of the device's layout on that spec at the middle of
/// the measured span, and times a run of greedy decoding on the device. The prediction is the median of the probed
/// rates; the measured rate the probes' rule applied to the runs' tokens.
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
        int position = Math.Max(1, tokens / 2);

        // Every run's session and token records exist before the warm-up, so that the runs follow it and each other
        // with no allocation between them, as a generation's tokens follow each other. Runs past the repeats reuse the
        // sessions: a token at position p writes the cache at p and reads it up to p, so an old run's cache is not read.
        int maxRuns = repeats * MaxRunsPerRepeat;
        var records = new MeasuredToken[maxRuns * tokens];
        var sessions = Enumerable.Range(0, repeats).Select(_ => device.CreateSession(context)).ToArray();
        var warmSession = device.CreateSession(context);
        var clock = new ChipClock(device.Chips);
        device.ChipClock = clock;
        bool warmedUp = true;
        int runs = 0;
        var probed = new List<LpuProgram>(repeats);
        // A run whose tokens another thread disturbed is made up by another run, as the probe runs longer when its
        // windows are disturbed, until the undisturbed tokens fill the runs asked for.
        do
        {
            if (runs < repeats)
            {
                // The machine's speed moves by a third within seconds with no sign this guest can see (traced:
                // stories15M's median token went from 145 to 195 us in half a second); a spec probed at load, seconds
                // before the runs, then predicts another machine. So the spec is probed again right before each run,
                // and the prediction is the median of those, as the measured rate is the median of the runs.
                probed.Add(Probe(program));
                // The probe and the compile promote methods of their own: traced, the background JIT compiled 119 of
                // them during the second run, on one of the device's two cores (a quarter of its wall rate). So every
                // run follows a warm-up that waits for the JIT to go quiet, and whose tokens load the caches the
                // probe filled with its own weights (as the probe's first window does).
                warmedUp &= WarmUp(warmSession, context, warmupLimit ?? DefaultWarmupLimit, clock);
            }
            Decode(sessions[runs % repeats], records.AsSpan(runs * tokens, tokens), runs, clock);
            runs++;
        }
        while (runs < maxRuns && (runs < repeats || Undisturbed(records.AsSpan(0, runs * tokens)) < repeats * tokens));
        device.ChipClock = null;
        // The statistics only after the last run: their code (a sort) was compiled at tier 0 between runs and promoted
        // by the background JIT during the next run, which stalled a stories110M token for tens of milliseconds.
        var measured = new List<double>();
        var fastest = new List<double>();
        double best = double.MaxValue;
        for (int r = 0; r < runs; r++)
        {
            var run = records[(r * tokens)..((r + 1) * tokens)].Select(t => t.Seconds).ToArray();
            measured.Add(tokens / run.Sum());
            var sorted = run.Order().ToArray();
            fastest.Add(1 / sorted[Math.Max(0, tokens / 10 - 1)]);
            best = Math.Min(best, sorted[0]);
        }
        var predictions = probed.Select(p => LpuSimulator.Run(p, position).TokensPerSecond).ToList();
        // The lower middle for an even count, as for the runs.
        int median = predictions.Select((rate, i) => (rate, i)).Order().ElementAt((predictions.Count - 1) / 2).i;
        return new DeviceBenchmarkResult(Path.GetFileNameWithoutExtension(modelPath), program, tokens, predictions[median], measured, fastest, warmedUp)
        {
            ProbedPredictions = predictions,
            PredictionProgram = probed[median],
            FastestTokenPerSecond = 1 / best,
            MeasuredTokens = records[..(runs * tokens)],
        };
    }

    /// <summary>The device's layout compiled with a spec probed now (<see cref="ThisCpu.DeviceSpec(Models.LpuModelShape, int, bool)"/>).</summary>
    private static LpuProgram Probe(LpuProgram program)
    {
        var spec = ThisCpu.DeviceSpec(program.Shape, program.Spec.Chips, fresh: true);
        var probed = LpuCompiler.Compile(program.Shape, spec, program.ReferencePosition, program.StageWidth);
        if (probed.Stages.Count != program.Stages.Count)
            throw new InvalidOperationException($"the probed spec placed {program.Shape.Name} in {probed.Stages.Count} stages, the device runs {program.Stages.Count}");
        return probed;
    }

    /// <summary>Most runs a benchmark makes per run asked for, when other threads keep disturbing its tokens.</summary>
    public const int MaxRunsPerRepeat = 3;

    /// <summary>Tokens of <paramref name="tokens"/> that no thread or JIT disturbed. A plain loop: it runs between the
    /// measured runs, and the warm-up calls it too, so it has its code before the first.</summary>
    internal static int Undisturbed(ReadOnlySpan<MeasuredToken> tokens)
    {
        int count = 0;
        foreach (var token in tokens)
        {
            if (!token.Disturbed)
                count++;
        }
        return count;
    }

    /// <summary>
    /// Decodes until every method a token calls runs optimized code (<see cref="JitWarmup"/>): the first tokens of a
    /// process run tier-0 code, which made the first of three stories15M runs 8 times slower than the others. A token
    /// calls each kernel many times (every layer), so a few quiet tokens suffice; the few methods a token calls once
    /// cost little next to the kernels even before they are optimized.
    /// </summary>
    private static bool WarmUp(Engine.Models.IForwardDeviceSession session, int context, TimeSpan limit, ChipClock clock)
    {
        int token = 1, position = 0;
        var record = new MeasuredToken[1];
        return JitWarmup.Run(() =>
        {
            if (position == context)
            {
                // A session decodes again from position 0: the cache at p is written before it is read.
                token = 1;
                position = 0;
            }
            record[0] = TimedToken(session, ref token, 0, position++, clock);
            Undisturbed(record);
        }, JitWarmup.DefaultQuiet, limit, minimumCalls: QuietTokens);
    }

    /// <summary>Greedy decoding from token 1 at position 0 in <paramref name="session"/>; one record per token.</summary>
    private static void Decode(Engine.Models.IForwardDeviceSession session, Span<MeasuredToken> records, int run, ChipClock clock)
    {
        int token = 1;
        for (int p = 0; p < records.Length; p++)
            records[p] = TimedToken(session, ref token, run, p, clock);
    }

    /// <summary>One greedy token, timed, with the signs of a disturbance: the longest time the host's thread (chip 0) or
    /// a worker chip's was off its core, and the methods compiled meanwhile. The warm-up calls it too, so that the clock
    /// reads a measured token makes have their optimized code before the first run, not promoted by the background JIT
    /// during it.</summary>
    private static MeasuredToken TimedToken(Engine.Models.IForwardDeviceSession session, ref int token, int run, int position, ChipClock clock)
    {
        long methods = WindowDisturbance.CompiledMethods();
        var start = WindowDisturbance.Now();
        token = VectorOps.ArgMax(session.Forward(token, position));
        double seconds = Stopwatch.GetElapsedTime(start.WallTicks).TotalSeconds;
        double offCore = Math.Max(start.OffCoreSecondsSince(), clock.WorkersOffCoreSeconds());
        return new MeasuredToken(run, position, seconds, offCore, WindowDisturbance.CompiledMethods() - methods);
    }
}
