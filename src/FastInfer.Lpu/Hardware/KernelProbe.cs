using System.Diagnostics;
using System.Collections.Concurrent;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Lpu.Hardware;

/// <summary>One matrix-vector call of a token on one chip: a slice of <see cref="Rows"/> rows of <see cref="Columns"/> weights.</summary>
public readonly record struct MatrixCall(int Rows, int Columns);

/// <summary>
/// What a token-shaped probe measured (<see cref="KernelProbe.Token"/>): the rate a chip streams its weights once the
/// fixed costs are taken out, the mean release of the barrier that ends each step (0 for one chip), and the seconds a
/// whole probe token took.
/// </summary>
public sealed record TokenProbe(double StreamBytesPerSecond, double BarrierSeconds, double TokenSeconds);

/// <summary>
/// This machine's "matrix unit", measured with the kernel the device calls: a quantized dot product costs unpacking
/// and integer work per byte, so the rate is the kernel's, not the bare read bandwidth of the cache. Every probe runs
/// after the kernel of its type has reached its optimized code (<see cref="JitWarmup"/>), is timed as a sustained rate
/// (<see cref="ProbeTimer.SustainedRate(Func{ProbeWindow}, TimeSpan, int)"/>: runs of windows as long as a device run,
/// the median run, so a run's slow moments count as a run's slow tokens do, while windows the process's own JIT or
/// another thread took a core from are left out, as a device run timed after the warm-up meets neither) and is taken again when older than <see cref="RecentMeasurements{TKey, TValue}.MaxAge"/>, so that a model is
/// predicted from the machine of its own minute.
/// </summary>
public static class KernelProbe
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan WarmupLimit = TimeSpan.FromSeconds(3);
    /// <summary>A small matrix warms the kernel up: its calls are fast enough for the JIT's call counting.</summary>
    private const int WarmupRows = 256;
    private static readonly ConcurrentDictionary<GgmlType, bool> Warm = new();
    private static readonly RecentMeasurements<(GgmlType Type, int Columns), double> Calls = new(key => MeasureCall(key.Type, key.Columns));
    private static readonly RecentMeasurements<(GgmlType Type, int Chips, string Calls), TokenProbe> Tokens = new();
    private static readonly TimeSpan CallBudget = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How a chip streams its share of a token, and what the barriers between its steps cost. Every chip runs <paramref name="steps"/>
    /// over and over, all chips at once: its slices of the model's matrices in a token's order, each in memory of its
    /// own (so the working set is the chip's real one: L2, L3 or DRAM), with a barrier of all chips after each step, as
    /// the device's transfers are. Cores that share caches, memory bandwidth or a physical core slow each other down,
    /// the slower chip of each step sets the pace, short rows and short calls stream slower, and the rate says so. The
    /// fixed costs the cost model charges on their own are taken out: <see cref="CallSeconds"/> per call and the
    /// barrier's release per step. That release (from the last chip's arrival until every chip has left) is timed at
    /// every crossing of the probe, so it is the device's barrier with the device's thread placement and waits, and
    /// its mean counts the crossings where a waiter had yielded and came back late.
    /// </summary>
    public static TokenProbe Token(GgmlType type, IReadOnlyList<IReadOnlyList<MatrixCall>> steps, int chips = 1) =>
        Token(type, steps, chips, fresh: false);

    /// <summary>As <see cref="Token(GgmlType, IReadOnlyList{IReadOnlyList{MatrixCall}}, int)"/>; when
    /// <paramref name="fresh"/>, measured now (the calls' fixed costs too), however recent the kept probe.</summary>
    internal static TokenProbe Token(GgmlType type, IReadOnlyList<IReadOnlyList<MatrixCall>> steps, int chips, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (chips < 1 || chips > Environment.ProcessorCount * 4)
            throw new ArgumentOutOfRangeException(nameof(chips), $"probe on 1 to {Environment.ProcessorCount * 4} cores, got {chips}");
        if (steps.Count == 0 || steps.Any(step => step is null || step.Count == 0))
            throw new ArgumentException("a token is at least one step of at least one matrix-vector call", nameof(steps));
        var whole = steps.Select(step => step.Select(call =>
        {
            if (call.Rows < 1 || call.Columns < 1)
                throw new ArgumentOutOfRangeException(nameof(steps), $"a call of {call.Rows} rows of {call.Columns} weights");
            return new MatrixCall(call.Rows, WholeBlocks(type, call.Columns));
        }).ToArray()).ToArray();
        string signature = string.Join('|', whole.Select(step => string.Join(';', step.Select(c => $"{c.Rows}x{c.Columns}"))));
        if (!fresh)
            return Tokens.Get((type, chips, signature), () => MeasureToken(type, whole, chips));
        foreach (int columns in whole.SelectMany(step => step.Select(c => c.Columns)).Distinct())
            Calls.Retake((type, columns));
        return Tokens.Retake((type, chips, signature), () => MeasureToken(type, whole, chips));
    }

    /// <summary>
    /// Seconds a matrix-vector call costs besides its rows, measured as a one-row product of <paramref name="columns"/>
    /// weights: mostly the quantization of the input vector, which every call repeats, and the call's set-up. It is
    /// this machine's pipeline latency per dependent operation.
    /// </summary>
    public static double CallSeconds(GgmlType type, int columns) => Calls.Get((type, WholeBlocks(type, columns)));

    /// <summary>
    /// The stream rate left once the calls' fixed costs are taken out of a token's seconds. Should the fixed costs
    /// measure as the whole token (two probes of a machine that changed between them), the token's own rate is kept.
    /// </summary>
    internal static double StreamRate(double bytes, double tokenSeconds, double fixedSeconds)
    {
        if (!(bytes > 0) || !(tokenSeconds > 0) || fixedSeconds < 0)
            throw new ArgumentOutOfRangeException(nameof(tokenSeconds), $"{bytes} bytes in {tokenSeconds} s with {fixedSeconds} s of call costs");
        double streaming = tokenSeconds - fixedSeconds;
        return bytes / (streaming > 0 ? streaming : tokenSeconds);
    }

    private static double MeasureCall(GgmlType type, int columns)
    {
        WarmUp(type, columns);
        using var matrix = new SyntheticMatrix(type, rows: 1, columns);
        var x = new float[columns];
        var y = new float[1];
        const int Batch = 64;
        return 1 / ProbeTimer.SustainedRate(() =>
        {
            for (int i = 0; i < Batch; i++)
                MatVec.Multiply(matrix.Matrix, x, y, ComputePool.SingleThreaded);
            return Batch;
        }, CallBudget);
    }

    private static int WholeBlocks(GgmlType type, int columns)
    {
        if (!GgmlTypeTraits.IsSupportedWeight(type))
            throw new ArgumentException($"no matrix-vector kernel for {type} weights");
        int block = GgmlTypeTraits.BlockSize(type);
        return Math.Clamp((columns + block - 1) / block * block, block, 1 << 16);
    }

    private static TokenProbe MeasureToken(GgmlType type, MatrixCall[][] steps, int chips)
    {
        WarmUp(type, steps[0][0].Columns);
        double callSeconds = steps.Sum(step => step.Sum(c => CallSeconds(type, c.Columns)));
        var barrier = chips > 1 ? new Execution.SpinBarrier(chips, new Execution.ChipFault()) : null;
        var activations = TokenWindow.SharedActivations(steps, chips);
        var tokens = Enumerable.Range(0, chips).Select(chip => new TokenWindow(type, steps, barrier, activations, chip)).ToArray();
        try
        {
            double bytes = tokens[0].Bytes;
            var (bytesPerSecond, release) = chips == 1 ? (MeasureOne(tokens[0]), 0) : MeasureTogether(tokens);
            double tokenSeconds = bytes / bytesPerSecond;
            return new TokenProbe(StreamRate(bytes, tokenSeconds, callSeconds + steps.Length * release), release, tokenSeconds);
        }
        finally
        {
            foreach (var token in tokens)
                token.Dispose();
        }
    }

    private static double MeasureOne(TokenWindow token)
    {
        using var pin = Execution.CorePinning.PinCaller(Execution.CorePinning.CoresFor(1)?[0]);
        token.Run(); // loads the caches
        return ProbeTimer.SustainedRate(() => token.Run(), Budget, Execution.DeviceBenchmark.DefaultTokens);
    }

    /// <summary>
    /// The sustained bytes per second of all chips' tokens together, and the mean barrier release, both over the
    /// windows no chip was kept from (<see cref="WindowDisturbance"/>: a chip that reached the start late, was off its
    /// core for a tenth of the window, or shared the machine with the process's JIT).
    /// </summary>
    private static (double BytesPerSecond, double ReleaseSeconds) MeasureTogether(TokenWindow[] tokens)
    {
        int chips = tokens.Length;
        // The window runs from a start all chips share to the last chip's end. The barriers only hand out windows, so
        // a blocked thread's wake-up (tens of microseconds) is not charged to the kernel, and the chips run together.
        // On the cores the device's chips get (Execution.ChipTeam), so that the probe meets the device's placement.
        var cores = Execution.CorePinning.CoresFor(chips);
        using var pin = Execution.CorePinning.PinCaller(cores?[0]);
        var ends = new long[chips];
        var offCore = new double[chips];
        var late = new bool[chips];
        long startAt = 0;
        using var barrier = new Barrier(chips);
        bool stop = false;
        long RunFromStart(int chip)
        {
            var before = WindowDisturbance.Now();
            long start = Volatile.Read(ref startAt);
            // A chip that reaches the start after it was woken up late or preempted on its way: its window is not the
            // kernel's.
            late[chip] = before.WallTicks > start;
            while (Stopwatch.GetTimestamp() < start)
                Thread.SpinWait(16);
            long done = tokens[chip].Run();
            ends[chip] = Stopwatch.GetTimestamp();
            offCore[chip] = before.OffCoreSecondsSince();
            return done;
        }
        var workers = Enumerable.Range(1, chips - 1).Select(chip => new Thread(() =>
        {
            Execution.CorePinning.PinCurrentThread(cores, chip);
            while (true)
            {
                barrier.SignalAndWait();
                if (Volatile.Read(ref stop))
                    return;
                RunFromStart(chip);
                barrier.SignalAndWait();
            }
        }) { IsBackground = true }).ToArray();
        foreach (var worker in workers)
            worker.Start();
        long released = 0, releasedAll = 0;
        int counted = 0, windows = 0;
        ProbeWindow Window()
        {
            long methods = WindowDisturbance.CompiledMethods();
            // Far enough ahead for a blocked peer to wake up and reach the start.
            Volatile.Write(ref startAt, Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5000);
            barrier.SignalAndWait();
            long bytes = RunFromStart(0);
            barrier.SignalAndWait();
            double seconds = (ends.Max() - startAt) / (double)Stopwatch.Frequency;
            bool disturbed = late.Contains(true) || WindowDisturbance.IsDisturbed(seconds, offCore.Max(), WindowDisturbance.CompiledMethods() - methods);
            long release = TokenWindow.ReleaseTicks(tokens);
            releasedAll += release;
            windows++;
            if (!disturbed)
            {
                // The barrier's release, like the rate, from the windows a device run would have met.
                released += release;
                counted++;
            }
            return new ProbeWindow(bytes, seconds, disturbed);
        }
        Window(); // loads the caches
        released = releasedAll = 0;
        counted = windows = 0;
        double rate = ProbeTimer.SustainedRate(Window, Budget, Execution.DeviceBenchmark.DefaultTokens);
        Volatile.Write(ref stop, true);
        barrier.SignalAndWait();
        foreach (var worker in workers)
            worker.Join();
        // Every window disturbed: the rate came from all of them, and so does the release.
        if (counted == 0)
            (released, counted) = (releasedAll, windows);
        return (rate, released / (double)Stopwatch.Frequency / ((long)counted * tokens[0].Steps));
    }

    /// <summary>Once per type and process: every later probe of the type, on any thread, runs optimized code.</summary>
    private static void WarmUp(GgmlType type, int columns)
    {
        if (Warm.ContainsKey(type))
            return;
        MatrixCall[][] steps = [[new MatrixCall(WarmupRows, columns)]];
        using var token = new TokenWindow(type, steps, barrier: null, TokenWindow.SharedActivations(steps, 1), chip: 0);
        JitWarmup.Run(() => token.Run(), JitWarmup.DefaultQuiet, WarmupLimit);
        Warm[type] = true;
    }
}
