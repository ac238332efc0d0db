using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// The costs of a CPU device token outside its steps: the barrier release charged to every transfer and the host's
/// work between tokens. Their values are this machine's; only their plumbing and bounds are checked here.
/// </summary>
public class TokenLoopTests
{
    private static readonly LpuModelShape Stories = LpuModelShapes.ByName("stories15M");

    [Fact]
    public void The_barrier_and_host_call_probes_measure_positive_times()
    {
        double barrier = TokenLoopProbe.BarrierSeconds(2);
        Assert.True(barrier is > 0 and < 1e-2, $"barrier {barrier}");
        double call = TokenLoopProbe.HostCallSeconds;
        Assert.True(call is > 0 and < 1e-2, $"host call {call}");
    }

    [Fact]
    public void A_recent_measurement_is_reused_and_each_key_is_measured_on_its_own()
    {
        int calls = 0;
        var recent = new RecentMeasurements<int, double>(key => key * 10 + ++calls);
        Assert.Equal(11, recent.Get(1));
        Assert.Equal(11, recent.Get(1)); // well within MaxAge
        Assert.Equal(22, recent.Get(2));
        Assert.Equal(2, calls);
        Assert.True(RecentMeasurements<int, double>.MaxAge > TimeSpan.Zero);
    }

    [Fact]
    public void A_probe_uses_one_thread_per_chip_but_never_more_than_the_cores_nor_fewer_than_a_barrier_needs()
    {
        Assert.Equal(2, TokenLoopProbe.Threads(1));
        Assert.Equal(2, TokenLoopProbe.Threads(2));
        Assert.Equal(Math.Max(2, Environment.ProcessorCount), TokenLoopProbe.Threads(Environment.ProcessorCount + 5));
    }

    [Fact]
    public void This_cpu_charges_the_measured_barrier_per_transfer_and_the_measured_host_call_per_token()
    {
        var spec = ThisCpu.Spec(2);
        spec.Validate();
        Assert.True(spec.SyncSeconds > 0 && spec.TokenOverheadSeconds > 0);
        Assert.Equal(0, spec.HopLatencySeconds); // the lines' trips are inside the measured release
        var built = ThisCpu.Build(CpuCacheTopology.Read(), HostProbe.Current, 3e9, chips: 2, barrierSeconds: 3e-6, hostCallSeconds: 1e-6);
        Assert.Equal((3e-6, 1e-6, 0.0), (built.SyncSeconds, built.TokenOverheadSeconds, built.HopLatencySeconds));
        // One chip has no barrier, but the host still calls it.
        var one = ThisCpu.Spec(1);
        Assert.Equal(0, one.SyncSeconds);
        Assert.True(one.TokenOverheadSeconds > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ThisCpu.Spec(0));
    }

    [Fact]
    public void The_device_spec_adds_the_hosts_pick_over_the_models_vocabulary()
    {
        var shape = Stories with { WeightType = FastInfer.Kernels.GgmlType.Q4_0, WeightBytes = 18.0 / 32 };
        var spec = ThisCpu.DeviceSpec(shape, 2);
        double pick = shape.Vocabulary * 4.0 / HostProbe.Current.CacheReadBytesPerSecond;
        // The host call itself is measured again as the load moves; the pick is what the device spec adds to it.
        Assert.True(spec.TokenOverheadSeconds > pick);
        // Each transfer pays the barrier release the model's own token probe met (the same, recent, probe).
        var token = KernelProbe.Token(FastInfer.Kernels.GgmlType.Q4_0, ThisCpu.TokenCalls(shape, 2), 2);
        Assert.Equal(token.BarrierSeconds, spec.SyncSeconds);
        Assert.Equal(token.StreamBytesPerSecond, spec.StreamBytesPerSecond);
    }

    [Fact]
    public void The_token_overhead_is_added_once_per_token_and_once_per_prompt_outside_the_units()
    {
        var spec = GroqChip1.Spec(64);
        var without = LpuCompiler.Compile(Stories, spec);
        var with = LpuCompiler.Compile(Stories, spec with { TokenOverheadSeconds = 1e-3 });
        var a = LpuSimulator.Run(without, 32);
        var b = LpuSimulator.Run(with, 32);
        Assert.Equal(0, a.HostSecondsPerToken);
        Assert.Equal(1e-3, b.HostSecondsPerToken);
        Assert.Equal(a.SecondsPerToken + 1e-3, b.SecondsPerToken, 1e-12);
        Assert.Equal(a.TimeToFirstTokenSeconds + 1e-3, b.TimeToFirstTokenSeconds, 1e-12);
        Assert.Equal(LpuSimulator.SecondsPerToken(without, 32) + 1e-3, LpuSimulator.SecondsPerToken(with, 32), 1e-12);
        Assert.Equal(a.Total, b.Total); // the units' split is the chips' schedules only
    }

    [Fact]
    public void A_slower_barrier_slows_a_multi_chip_program_and_leaves_one_chip_alone()
    {
        var spec = ThisCpu.Spec(2) with { SramBytesPerChip = 64L << 20, SyncSeconds = 1e-6 };
        var slower = spec with { SyncSeconds = 5e-6 };
        var two = LpuCompiler.Compile(Stories, spec, stageWidth: 2);
        var twoSlow = LpuCompiler.Compile(Stories, slower, stageWidth: 2);
        double gap = LpuSimulator.SecondsPerToken(twoSlow, 32) - LpuSimulator.SecondsPerToken(two, 32);
        // Every all-gather (four per layer) is on the critical path and waits 4 us longer; at most every transfer of
        // the token does (the critical path may cross from chip to chip).
        int receives = two.Schedules.SelectMany(s => s).Where(step => step.Kind == LpuStepKind.Receive).Select(step => step.Tag).Distinct().Count();
        Assert.InRange(gap, 4 * Stories.Layers * 4e-6 * (1 - 1e-9), receives * 4e-6 * (1 + 1e-9));
        var one = LpuCompiler.Compile(Stories, spec.WithChips(1));
        var oneSlow = LpuCompiler.Compile(Stories, slower.WithChips(1));
        Assert.Equal(LpuSimulator.SecondsPerToken(one, 32), LpuSimulator.SecondsPerToken(oneSlow, 32));
    }

    [Fact]
    public void A_negative_token_overhead_is_rejected()
    {
        var spec = GroqChip1.Spec() with { TokenOverheadSeconds = -1e-6 };
        Assert.Contains("token overhead", Assert.Throws<ArgumentException>(spec.Validate).Message);
        Assert.Contains("token overhead", Assert.Throws<ArgumentException>(() => (GroqChip1.Spec() with { TokenOverheadSeconds = double.PositiveInfinity }).Validate()).Message);
    }

    [Fact]
    public void A_team_whose_workers_went_to_sleep_still_runs_every_chip()
    {
        var ran = new int[3];
        using var team = new ChipTeam(3, chip => Interlocked.Increment(ref ran[chip]), new ChipFault());
        team.RunToken();
        // Idle for longer than the workers poll: they block, and the next token must wake them.
        Thread.Sleep(50);
        team.RunToken();
        for (int i = 0; i < 100; i++)
            team.RunToken();
        Assert.Equal([102, 102, 102], ran);
    }

    [Fact]
    public void A_barrier_releases_every_chip_of_every_round()
    {
        const int Rounds = 2000;
        var barrier = new SpinBarrier(3, new ChipFault());
        var counts = new int[3];
        var seen = new int[3];
        var threads = Enumerable.Range(0, 3).Select(chip => new Thread(() =>
        {
            for (int r = 0; r < Rounds; r++)
            {
                Interlocked.Increment(ref counts[chip]);
                barrier.Arrive();
                // after round r's barrier every chip has counted r + 1
                seen[chip] = Math.Min(counts.Min(), r + 1) == r + 1 ? seen[chip] + 1 : seen[chip];
                barrier.Arrive();
            }
        })).ToArray();
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            t.Join();
        Assert.Equal([Rounds, Rounds, Rounds], seen);
    }
}
