using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using FastInfer.Kernels.Benchmarking;

namespace FastInfer.Kernels.Tests.Benchmarking;

/// <summary>The quick runner's building blocks compute what they claim to measure (no timing is asserted).</summary>
public unsafe class BenchmarkingTests
{
    [Fact]
    public void The_bandwidth_sum_reads_every_element()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (float)(i % 7)).ToArray();
        fixed (float* p = data)
        {
            Assert.Equal(data.Sum(), MachineLimits.SumRange(p, 0, data.Length));
            Assert.Equal(data.Skip(13).Take(900).Sum(), MachineLimits.SumRange(p, 13, 913));
        }
    }

    [SkippableFact]
    public void The_fma_chains_compute_their_recurrence()
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "no AVX-512 on this CPU");
        // Each chain runs x ← 0.999999·x + 1e-7 from 1 + k·1e-7; twelve chains of sixteen lanes.
        double expected = 0;
        for (int chain = 0; chain < 12; chain++)
        {
            float x = 1f;
            for (int k = 0; k < chain; k++)
                x += 1e-7f;
            for (int i = 0; i < 100; i++)
                x = MathF.FusedMultiplyAdd(x, 0.999999f, 1e-7f);
            expected += 16.0 * x;
        }
        Assert.Equal(expected, MachineLimits.FmaChains(100, 1f), 1e-3);
    }

    [SkippableFact]
    public void The_vnni_chains_accumulate_four_products_per_lane_per_step()
    {
        Skip.IfNot(AvxVnni.IsSupported, "no AVX-VNNI on this CPU");
        // 3 · −2 four times per lane per instruction; 8 lanes × 8 accumulators.
        Assert.Equal(-24 * 10 * 64, Int8Peaks.VnniChains(10));
    }

    [SkippableFact]
    public void The_avx512bw_chains_accumulate_four_products_per_lane_per_step()
    {
        Skip.IfNot(Avx512BW.IsSupported, "no AVX-512BW on this CPU");
        const int iterations = 16;
        long expected = 0;
        for (int i = 0; i < iterations; i++)
            for (int b = 0; b < 512; b++)
                expected += (byte)(((i & 7) * 512 + b) * 7) * -2;
        Assert.Equal(expected, Int8Peaks.Avx512BwChains(iterations));
    }

    [Fact]
    public void The_timer_reports_a_positive_time_per_call()
    {
        int calls = 0;
        double seconds = CallTimer.SecondsPerCall(() => calls++, 0.01);
        Assert.True(seconds > 0);
        Assert.True(calls >= 5);
    }

    [Fact]
    public void The_report_is_one_camel_case_json_object()
    {
        var report = new BenchKernelsReport("Avx512", new MachineLimits(2, 10, 20, 100, 200, 300, 400),
            [new KernelResult("matvec F32", "4x4", 2, 1.5, 12.5, null, "read-bw-all", 0.625)], 3.5);
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal("Avx512", root.GetProperty("isa").GetString());
        Assert.Equal(20, root.GetProperty("machine").GetProperty("readBandwidthAllThreads").GetDouble());
        var kernel = root.GetProperty("kernels")[0];
        Assert.Equal(0.625, kernel.GetProperty("ratio").GetDouble());
        Assert.False(kernel.TryGetProperty("gigaflopsPerSecond", out _));
    }

    [Fact]
    public void The_runner_rejects_bad_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchKernels.Run(0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchKernels.Run(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchKernels.Run(1, 61));
    }
}
