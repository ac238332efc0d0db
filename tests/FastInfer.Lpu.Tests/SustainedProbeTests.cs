using FastInfer.Kernels;
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
    public void A_sustained_rate_runs_at_least_one_window_per_run()
    {
        int windows = 0;
        double rate = ProbeTimer.SustainedRate(() =>
        {
            windows++;
            return (2.0, 0.5);
        }, TimeSpan.Zero, runs: 5);
        Assert.Equal(4, rate, 12);
        Assert.True(windows >= 5, $"{windows} windows");
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
