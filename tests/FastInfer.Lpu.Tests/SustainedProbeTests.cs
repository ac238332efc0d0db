using FastInfer.Kernels;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// The statistics and shapes behind the <c>this-cpu</c> probes that predict a device run: the sustained rate of runs
/// of windows, the stream rate left after the fixed costs, and a chip's share of a token's calls. No timings are
/// asserted; the windows here carry their own seconds.
/// </summary>
public class SustainedProbeTests
{
    [Fact]
    public void A_run_rate_is_its_units_over_its_seconds_so_a_slow_window_weighs_by_its_time()
    {
        // One run: 3 windows of 10 units, one of them 10 times slower. The mean of the window rates would be 7;
        // the run kept 30 units in 12 s.
        var windows = new List<(double, double)> { (10, 1), (10, 10), (10, 1) };
        Assert.Equal(30.0 / 12, ProbeTimer.MedianRunRate(windows, runs: 1), 12);
    }

    [Fact]
    public void The_median_run_is_reported_so_one_spoiled_run_does_not_decide()
    {
        // Runs of two windows each: rates 10, 1 (a preempted run) and 8.
        var windows = new List<(double, double)> { (10, 1), (10, 1), (1, 1), (1, 1), (8, 1), (8, 1) };
        Assert.Equal(8, ProbeTimer.MedianRunRate(windows, runs: 3), 12);
        // An even count of runs reports the lower middle one.
        Assert.Equal(2, ProbeTimer.MedianRunRate(new List<(double, double)> { (1, 1), (4, 1), (2, 1), (8, 1) }, runs: 4), 12);
    }

    [Fact]
    public void The_last_run_takes_the_windows_left_over()
    {
        // 5 windows in 2 runs: the first two windows, then the last three.
        var windows = new List<(double, double)> { (4, 1), (4, 1), (1, 1), (1, 1), (1, 1) };
        Assert.Equal(1, ProbeTimer.MedianRunRate(windows, runs: 2), 12);
    }

    [Fact]
    public void Run_rates_refuse_too_few_windows_and_impossible_ones()
    {
        var two = new List<(double, double)> { (1, 1), (1, 1) };
        Assert.Throws<ArgumentException>(() => ProbeTimer.MedianRunRate(two, runs: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProbeTimer.MedianRunRate(two, runs: 0));
        Assert.Throws<ArgumentException>(() => ProbeTimer.MedianRunRate(new List<(double, double)> { (1, -1) }, runs: 1));
        Assert.Throws<ArgumentException>(() => ProbeTimer.MedianRunRate(new List<(double, double)> { (double.NaN, 1) }, runs: 1));
        Assert.Throws<ArgumentNullException>(() => ProbeTimer.MedianRunRate(null!, runs: 1));
    }

    [Fact]
    public void A_sustained_rate_waits_for_its_minimum_of_windows_however_short_its_budget()
    {
        int windows = 0;
        double rate = ProbeTimer.SustainedRate(() =>
        {
            windows++;
            return new ProbeWindow(2.0, 0.5);
        }, TimeSpan.Zero, windowsPerRun: 5);
        Assert.Equal(4, rate, 12);
        Assert.Equal(ProbeTimer.MinimumWindows, windows);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProbeTimer.SustainedRate(() => new ProbeWindow(1, 1), TimeSpan.Zero, windowsPerRun: 0));
        Assert.Throws<ArgumentNullException>(() => ProbeTimer.SustainedRate((Func<ProbeWindow>)null!, TimeSpan.Zero));
    }

    [Fact]
    public void Disturbed_windows_are_left_out_and_the_budget_counts_undisturbed_seconds_only()
    {
        // Undisturbed windows of 10 units in 1 s alternate with disturbed ones of 1 unit in 2 s. A 10 s budget needs
        // ten undisturbed windows: the tenth is the 19th call, and the disturbed ones do not lower the rate.
        int calls = 0;
        double rate = ProbeTimer.SustainedRate(() => ++calls % 2 == 1 ? new ProbeWindow(10, 1) : new ProbeWindow(1, 2, Disturbed: true),
            TimeSpan.FromSeconds(10), windowsPerRun: 2);
        Assert.Equal(10, rate, 12);
        Assert.Equal(19, calls);
    }

    [Fact]
    public void A_disturbed_stretch_makes_the_probe_longer_not_slower()
    {
        // The first 30 windows met the JIT's background compiles (slow and disturbed), then the machine was quiet.
        int calls = 0;
        double rate = ProbeTimer.SustainedRate(() => ++calls <= 30 ? new ProbeWindow(1, 0.1, Disturbed: true) : new ProbeWindow(4, 0.1),
            TimeSpan.FromSeconds(2), windowsPerRun: 4);
        Assert.Equal(40, rate, 12);
        Assert.Equal(30 + 20, calls); // 20 undisturbed windows make the 2 s budget
    }

    [Fact]
    public void A_probe_that_is_never_undisturbed_stops_after_its_maximum_budgets_and_counts_every_window()
    {
        int calls = 0;
        double rate = ProbeTimer.SustainedRate(() =>
        {
            calls++;
            return new ProbeWindow(2, 1, Disturbed: true);
        }, TimeSpan.FromSeconds(1));
        Assert.Equal(2, rate, 12);
        // Stops once the windows' seconds pass MaximumBudgets budgets, after at least the minimum of windows.
        Assert.Equal(Math.Max(ProbeTimer.MinimumWindows, ProbeTimer.MaximumBudgets + 1), calls);
    }

    [Fact]
    public void Runs_are_as_long_as_a_device_run_so_a_stall_shorter_than_half_the_probe_does_not_decide()
    {
        // 640 token windows: the first 192 stalled (a tenth of the rate), the rest at full rate. Runs of 64 windows make
        // ten runs, three of them stalled: the median run is a full-rate one. Three runs of the whole probe would have
        // put the stall into the first run and part of the second.
        var windows = Enumerable.Range(0, 640).Select(i => (Units: 1.0, Seconds: i < 192 ? 1.0 : 0.1)).ToList();
        int runs = ProbeTimer.RunsOf(windows.Count, DeviceBenchmark.DefaultTokens);
        Assert.Equal(10, runs);
        Assert.Equal(10, ProbeTimer.MedianRunRate(windows, runs), 12);
        int calls = 0;
        // The probe itself: a budget of 236.75 s is met by the 640th window (192 × 1 s + 448 × 0.1 s = 236.8 s).
        double rate = ProbeTimer.SustainedRate(() => new ProbeWindow(windows[calls].Units, windows[calls++].Seconds),
            TimeSpan.FromSeconds(236.75), DeviceBenchmark.DefaultTokens);
        Assert.Equal(640, calls);
        Assert.Equal(10, rate, 12);
    }

    [Fact]
    public void The_number_of_runs_fits_the_windows_but_is_at_least_three()
    {
        Assert.Equal(7, ProbeTimer.RunsOf(459, 64));
        Assert.Equal(3, ProbeTimer.RunsOf(13, 64)); // a slow model's few windows: three shorter runs
        Assert.Equal(2, ProbeTimer.RunsOf(2, 64));
        Assert.Equal(3, ProbeTimer.RunsOf(1000, ProbeTimer.WholeBudgetRuns));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProbeTimer.RunsOf(0, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProbeTimer.RunsOf(10, 0));
    }

    [Fact]
    public void A_window_is_disturbed_when_the_process_compiled_or_a_chip_was_off_its_core_for_a_tenth_of_it()
    {
        Assert.False(WindowDisturbance.IsDisturbed(200e-6, 0, 0));
        Assert.False(WindowDisturbance.IsDisturbed(200e-6, 20e-6, 0)); // a tenth exactly: a short kernel turn
        Assert.True(WindowDisturbance.IsDisturbed(200e-6, 21e-6, 0));
        Assert.True(WindowDisturbance.IsDisturbed(500e-6, 250e-6, 0)); // two threads taking turns on one core
        Assert.True(WindowDisturbance.IsDisturbed(200e-6, 0, methodsCompiled: 1));
        // No thread clock (not Linux): only the JIT sign is left.
        Assert.False(WindowDisturbance.IsDisturbed(200e-6, double.NaN, 0));
        Assert.True(WindowDisturbance.IsDisturbed(200e-6, double.NaN, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowDisturbance.IsDisturbed(-1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowDisturbance.IsDisturbed(double.NaN, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowDisturbance.IsDisturbed(1, 0, -1));
    }

    [Fact]
    public void The_thread_clock_reads_on_linux_and_a_threads_off_core_time_is_a_number_there()
    {
        double cpu = WindowDisturbance.ThreadCpuSeconds();
        if (!OperatingSystem.IsLinux())
        {
            Assert.True(double.IsNaN(cpu));
            return;
        }
        Assert.True(cpu > 0, $"{cpu} s of CPU");
        var start = WindowDisturbance.Now();
        Assert.True(double.IsFinite(start.OffCoreSecondsSince()));
        Assert.True(WindowDisturbance.ThreadCpuSeconds() >= cpu);
        Assert.True(WindowDisturbance.CompiledMethods() > 0);
    }

    [Fact]
    public void The_stream_rate_leaves_out_the_fixed_costs_the_cost_model_charges_separately()
    {
        // 1000 bytes in a 10 s token of which 2 s were call and barrier costs: the weights streamed for 8 s.
        Assert.Equal(125, KernelProbe.StreamRate(1000, 10, 2), 12);
        Assert.Equal(100, KernelProbe.StreamRate(1000, 10, 0), 12);
        // Fixed costs measured as the whole token: the token's own rate, never a negative or infinite one.
        Assert.Equal(100, KernelProbe.StreamRate(1000, 10, 12), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelProbe.StreamRate(1000, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelProbe.StreamRate(0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelProbe.StreamRate(1000, 1, -1));
    }

    [Fact]
    public void A_chips_token_calls_cover_its_share_of_every_streamed_weight_in_the_schedules_steps()
    {
        var shape = LpuModelShapes.ByName("stories15M") with { TiedEmbeddings = false };
        foreach (int chips in new[] { 1, 2, 3 })
        {
            var steps = ThisCpu.TokenCalls(shape, chips);
            // Per layer: q/k/v, output projection, gate and up, down; then the head.
            Assert.Equal(4 * shape.Layers + 1, steps.Count);
            long weights = steps.Sum(step => step.Sum(c => (long)c.Rows * c.Columns));
            long share = ThisCpu.StreamedWeights(shape) / chips;
            // Rows are rounded up per slice, so a chip holds its share or a few rows more.
            Assert.InRange(weights, share, share + 4L * steps.Count * Math.Max(shape.Embedding, shape.FeedForward));
        }
    }

    [Fact]
    public void A_mixture_of_experts_token_streams_the_experts_it_uses()
    {
        var shape = LpuModelShapes.ByName("mixtral-8x7b");
        var steps = ThisCpu.TokenCalls(shape, 2);
        Assert.Equal(2 * shape.ExpertsUsed, steps[2].Length); // gate and up of every expert used
        Assert.Equal(shape.ExpertsUsed, steps[3].Length);
        Assert.All(steps[3], c => Assert.Equal(new MatrixCall(shape.Embedding / 2, shape.FeedForward), c));
        Assert.Throws<ArgumentOutOfRangeException>(() => ThisCpu.TokenCalls(shape, 0));
    }

    [Fact]
    public void The_token_probe_refuses_empty_tokens_and_impossible_calls()
    {
        Assert.Throws<ArgumentException>(() => KernelProbe.Token(GgmlType.Q8_0, []));
        Assert.Throws<ArgumentException>(() => KernelProbe.Token(GgmlType.Q8_0, [[]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelProbe.Token(GgmlType.Q8_0, [[new MatrixCall(0, 32)]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelProbe.Token(GgmlType.Q8_0, [[new MatrixCall(4, 32)]], chips: 0));
        Assert.Throws<ArgumentNullException>(() => KernelProbe.Token(GgmlType.Q8_0, null!));
    }

    [Fact]
    public void A_synthetic_matrix_has_the_bytes_its_type_stores_and_refuses_an_empty_shape()
    {
        using var matrix = new SyntheticMatrix(GgmlType.Q4_0, 3, 64);
        Assert.Equal(3 * GgmlTypeTraits.RowBytes(GgmlType.Q4_0, 64), matrix.Bytes);
        Assert.Equal(3, matrix.Matrix.Rows);
        Assert.Equal(64, matrix.Matrix.Columns);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticMatrix(GgmlType.Q4_0, 0, 64));
    }

    [Fact]
    public void A_recent_measurement_can_take_its_probe_per_call()
    {
        var recent = new RecentMeasurements<string, double>();
        int calls = 0;
        Assert.Equal(3, recent.Get("a", () => 3 + calls++));
        Assert.Equal(3, recent.Get("a", () => 3 + calls++)); // well within MaxAge
        Assert.Equal(1, calls);
        Assert.Throws<InvalidOperationException>(() => recent.Get("b"));
    }

    [Fact]
    public void A_retaken_measurement_is_measured_now_and_kept()
    {
        int calls = 0;
        var recent = new RecentMeasurements<string, int>(_ => ++calls);
        Assert.Equal(1, recent.Get("a"));
        Assert.Equal(2, recent.Retake("a")); // however recent the kept one
        Assert.Equal(2, recent.Get("a"));
        Assert.Equal(10, recent.Retake("a", () => 10));
        Assert.Equal(10, recent.Get("a"));
        Assert.Equal(2, calls);
        Assert.Throws<InvalidOperationException>(() => new RecentMeasurements<string, int>().Retake("b"));
        Assert.Throws<ArgumentNullException>(() => recent.Retake("a", null!));
    }
}

/// <summary>The probe token itself: what it streams, what its chips share, and its barrier accounting.</summary>
public class TokenWindowTests
{
    private static readonly MatrixCall[][] Steps = [[new MatrixCall(8, 64), new MatrixCall(4, 64)], [new MatrixCall(64, 32)]];

    [Fact]
    public void The_shared_activations_hold_the_widest_input_and_every_chips_rows_of_the_widest_output()
    {
        var vectors = TokenWindow.SharedActivations(Steps, chips: 2);
        Assert.Equal(2, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(128, v.Length)); // 64 rows x 2 chips > 64 columns
        Assert.All(vectors, v => Assert.All(v, x => Assert.Equal(1f, x)));
    }

    [Fact]
    public void Two_chips_stream_their_own_matrices_and_their_barrier_release_is_counted_per_step()
    {
        var barrier = new FastInfer.Lpu.Execution.SpinBarrier(2, new FastInfer.Lpu.Execution.ChipFault());
        var shared = TokenWindow.SharedActivations(Steps, 2);
        using var a = new TokenWindow(GgmlType.Q8_0, Steps, barrier, shared, chip: 0);
        using var b = new TokenWindow(GgmlType.Q8_0, Steps, barrier, shared, chip: 1);
        long expected = Steps.Sum(step => step.Sum(c => c.Rows * GgmlTypeTraits.RowBytes(GgmlType.Q8_0, c.Columns)));
        Assert.Equal(expected, a.Bytes);
        Assert.Equal(2, a.Steps);
        var peer = new Thread(() => b.Run());
        peer.Start();
        Assert.Equal(expected, a.Run());
        peer.Join();
        Assert.True(TokenWindow.ReleaseTicks([a, b]) >= 0);
        Assert.All(shared, v => Assert.All(v, x => Assert.True(float.IsFinite(x))));
    }
}
