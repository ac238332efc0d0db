using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using FastInfer.Kernels;
using FastInfer.Kernels.Benchmarking;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Memory;

namespace FastInfer.Kernels.Tests.Benchmarking;

/// <summary>The quick runner's building blocks compute what they claim to measure (no timing is asserted).</summary>
public unsafe class BenchmarkingTests
{
    [Fact]
    public void The_bandwidth_sum_reads_every_word()
    {
        // Lengths that end inside the 128-word unrolled body, the 16-word loop and the scalar tail.
        var data = Enumerable.Range(0, 1000).Select(i => (int)((uint)i * 2654435761u >> 3)).ToArray();
        fixed (int* p = data)
        {
            foreach (var (start, end) in new[] { (0, 1000), (13, 913), (5, 6), (0, 128), (1, 145) })
            {
                int expected = 0;
                for (int i = start; i < end; i++)
                    expected = unchecked(expected + data[i]);
                Assert.Equal(expected, ReadPass.Sum(p, start, end));
            }
        }
    }

    [Fact]
    public void The_eight_stream_sum_reads_every_word_once()
    {
        // Ranges shorter than one 128-byte step per stream (all tail), one whole step each, and steps plus a tail.
        var data = Enumerable.Range(0, 3000).Select(i => (int)((uint)i * 2654435761u >> 3)).ToArray();
        fixed (int* p = data)
        {
            foreach (var (start, end) in new[] { (0, 3000), (7, 2999), (5, 6), (0, 256), (3, 259), (1, 300), (100, 1111) })
            {
                int expected = 0;
                for (int i = start; i < end; i++)
                    expected = unchecked(expected + data[i]);
                Assert.Equal(expected, ReadPass.SumStreams(p, start, end));
            }
        }
    }

    [Fact]
    public void The_two_stream_sum_reads_every_word_once()
    {
        // Ranges shorter than one 256-byte step per stream (all tail), one whole step each, and steps plus a tail.
        var data = Enumerable.Range(0, 3000).Select(i => (int)((uint)i * 2654435761u >> 3)).ToArray();
        fixed (int* p = data)
        {
            foreach (var (start, end) in new[] { (0, 3000), (7, 2999), (5, 6), (0, 128), (3, 131), (1, 300), (100, 1111) })
            {
                int expected = 0;
                for (int i = start; i < end; i++)
                    expected = unchecked(expected + data[i]);
                Assert.Equal(expected, ReadPass.SumTwoStreams(p, start, end));
            }
        }
    }

    [Fact]
    public void Limits_alternate_the_two_read_patterns()
    {
        Assert.Equal(ReadPattern.EightStreamChunks, ReadPass.Alternate(0));
        Assert.Equal(ReadPattern.TwoStreamShares, ReadPass.Alternate(1));
        Assert.Equal(ReadPattern.EightStreamChunks, ReadPass.Alternate(2));
    }

    [Theory]
    [InlineData(50.0, 150.0, 0.5, 50.0, true)]   // F32 cache, four heads per KV head: 75 GB/s of arithmetic, memory bounds
    [InlineData(50.0, 150.0, 0.25, 37.5, false)] // F16 cache: 4 flops per byte, the FMA peak bounds
    [InlineData(50.0, 0.0, 0.25, 50.0, true)]    // no measured peak: the bandwidth alone
    public void The_roofline_is_the_lower_of_bandwidth_and_arithmetic(double read, double fma, double bytesPerFlop, double limit, bool memory)
    {
        var (gbps, memoryBound) = BenchKernels.Roofline(read, fma, bytesPerFlop);
        Assert.Equal(limit, gbps, 9);
        Assert.Equal(memory, memoryBound);
    }

    [Fact]
    public void Alternating_timing_runs_both_calls_and_reports_each_best()
    {
        int first = 0, second = 0;
        var (a, b) = CallTimer.BestOfAlternating(() => first++, () => { second++; Thread.Sleep(2); }, 0.01);
        Assert.True(first >= 4 && second == first, $"{first} and {second} calls");
        Assert.True(a > 0 && b >= 0.002 && b > a, $"{a} s and {b} s");
    }

    [Theory]
    [InlineData("32768K", 32L << 20)]
    [InlineData("1M\n", 1L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("512", 512L)]
    [InlineData("", null)]
    [InlineData("K", null)]
    [InlineData("-5K", null)]
    [InlineData("12X", null)]
    public void Cache_sizes_parse_as_sysfs_writes_them(string text, long? bytes)
        => Assert.Equal(bytes, CacheSizes.ParseSize(text));

    [Fact]
    public void The_last_level_is_the_highest_cache_level_described()
    {
        var folder = Directory.CreateTempSubdirectory("fastinfer-cache-").FullName;
        try
        {
            Assert.Null(CacheSizes.ReadLastLevel(Path.Combine(folder, "absent")));
            Assert.Null(CacheSizes.ReadLastLevel(folder));
            void Index(int i, string level, string size)
            {
                var dir = Directory.CreateDirectory(Path.Combine(folder, $"index{i}")).FullName;
                File.WriteAllText(Path.Combine(dir, "level"), level);
                File.WriteAllText(Path.Combine(dir, "size"), size);
            }
            Index(0, "1\n", "48K\n");
            Index(1, "3\n", "32768K\n");
            Index(2, "2\n", "1024K\n");
            Index(3, "junk", "99999K");
            Assert.Equal(32L << 20, CacheSizes.ReadLastLevel(folder));
            Assert.True(CacheSizes.LastLevelBytes() > 0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(32L << 10, true)]
    [InlineData(48L << 10, false)]
    [InlineData(64L << 10, false)]
    [InlineData(null, false)]
    public void Only_a_known_first_level_data_cache_under_the_tuned_size_is_small(long? bytes, bool small)
        => Assert.Equal(small, CacheSizes.IsSmallFirstLevelData(bytes));

    [Fact]
    public void The_first_level_data_cache_is_the_level_one_cache_of_type_data()
    {
        var folder = Directory.CreateTempSubdirectory("fastinfer-cache-").FullName;
        try
        {
            Assert.Null(CacheSizes.ReadFirstLevelData(folder));
            void Index(int i, string level, string type, string size)
            {
                var dir = Directory.CreateDirectory(Path.Combine(folder, $"index{i}")).FullName;
                File.WriteAllText(Path.Combine(dir, "level"), level);
                File.WriteAllText(Path.Combine(dir, "type"), type);
                File.WriteAllText(Path.Combine(dir, "size"), size);
            }
            Index(0, "1\n", "Instruction\n", "64K\n");
            Index(1, "2\n", "Unified\n", "1024K\n");
            Assert.Null(CacheSizes.ReadFirstLevelData(folder));
            Index(2, "1\n", "Data\n", "32K\n");
            Assert.Equal(32L << 10, CacheSizes.ReadFirstLevelData(folder));
            Assert.Equal(1L << 20, CacheSizes.ReadLastLevel(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(32L << 20, 24_000_000L, 23)]
    [InlineData(32L << 20, 180_000_000L, 3)]
    [InlineData(32L << 20, 64L << 20, 8)]
    [InlineData(32L << 20, 42L << 20, 13)]
    [InlineData(32L << 20, 600L << 20, 2)]
    public void Rotating_copies_together_span_sixteen_caches(long cache, long matrix, int copies)
        => Assert.Equal(copies, RotatingMatrices.CopiesToExceed(cache, matrix));

    [Fact]
    public void Rotating_copies_hold_the_same_matrix_at_distinct_addresses_and_cycle()
    {
        using var matrices = new RotatingMatrices(GgmlType.Q4_K, 150, 512, copies: 3, seed: 9);
        Assert.Equal(GgmlTypeTraits.RowBytes(GgmlType.Q4_K, 512) * 150, matrices.MatrixBytes);
        var first = new ReadOnlySpan<byte>((void*)matrices[0].Data, (int)matrices.MatrixBytes).ToArray();
        // The 64 distinct random rows repeat to fill the matrix.
        long rowBytes = matrices[0].RowBytes;
        Assert.Equal(first.AsSpan(0, (int)rowBytes).ToArray(), first.AsSpan((int)(64 * rowBytes), (int)rowBytes).ToArray());
        Assert.NotEqual(first.AsSpan(0, (int)rowBytes).ToArray(), first.AsSpan((int)rowBytes, (int)rowBytes).ToArray());
        for (int c = 1; c < 3; c++)
        {
            Assert.NotEqual(matrices[0].Data, matrices[c].Data);
            Assert.Equal(first, new ReadOnlySpan<byte>((void*)matrices[c].Data, (int)matrices.MatrixBytes).ToArray());
        }
        var order = Enumerable.Range(0, 7).Select(_ => matrices.Next().Data).ToArray();
        Assert.Equal(new[] { 0, 1, 2, 0, 1, 2, 0 }.Select(i => matrices[i].Data), order);
        Assert.Throws<NotSupportedException>(() => new RotatingMatrices(GgmlType.IQ2_XS, 4, 256, 1, 1));
    }

    [SkippableTheory]
    [InlineData(512, true)]
    [InlineData(256, true)]
    [InlineData(128, true)]
    [InlineData(128, false)]
    public void The_fma_chains_compute_their_recurrence(int bits, bool fused)
    {
        Skip.If(bits == 512 && !Vector512.IsHardwareAccelerated, "no AVX-512 on this CPU");
        Skip.If(bits == 256 && !Fma.IsSupported, "no 256-bit FMA on this CPU");
        Skip.If(bits == 128 && fused && !FmaPeaks.HasFma128, "no 128-bit FMA on this CPU");
        // Each chain runs x ← 0.999999·x + 1e-7 from 1 + k·1e-7; twelve chains of bits/32 lanes.
        double expected = 0;
        for (int chain = 0; chain < 12; chain++)
        {
            float x = 1f + chain * 1e-7f;
            for (int i = 0; i < 100; i++)
                x = fused ? MathF.FusedMultiplyAdd(x, 0.999999f, 1e-7f) : x * 0.999999f + 1e-7f;
            expected += bits / 32 * (double)x;
        }
        float result = (bits, fused) switch
        {
            (512, _) => FmaPeaks.Chains<Fma512, Vector512<float>>(100, 1f),
            (256, _) => FmaPeaks.Chains<Fma256, Vector256<float>>(100, 1f),
            (_, true) => FmaPeaks.Chains<Fma128, Vector128<float>>(100, 1f),
            _ => FmaPeaks.Chains<MulAdd128, Vector128<float>>(100, 1f),
        };
        Assert.Equal(expected, result, 1e-3);
        Assert.Equal(100.0 * 12 * bits / 32 * 2, bits switch
        {
            512 => FmaPeaks.Flops<Fma512, Vector512<float>>(100),
            256 => FmaPeaks.Flops<Fma256, Vector256<float>>(100),
            _ => FmaPeaks.Flops<MulAdd128, Vector128<float>>(100),
        });
    }

    [Fact]
    public void The_fp32_peak_runs_at_the_kernel_paths_width()
    {
        Assert.Equal((512, true), FmaPeaks.Width(IsaPath.Avx512));
        Assert.Equal((256, true), FmaPeaks.Width(IsaPath.Avx2));
        Assert.Equal((128, FmaPeaks.HasFma128), FmaPeaks.Width(IsaPath.V128));
        Assert.Equal((0, false), FmaPeaks.Width(IsaPath.Scalar));
    }

    [SkippableFact]
    public void The_vnni_chains_accumulate_four_products_per_lane_per_step()
    {
        Skip.IfNot(AvxVnni.IsSupported, "no AVX-VNNI on this CPU");
        // 3 · −2 four times per lane per instruction; 8 lanes × 8 accumulators.
        Assert.Equal(-24 * 10 * 64, Int8Peaks.VnniChains(10));
    }

    [SkippableTheory]
    [InlineData(512)]
    [InlineData(256)]
    public void The_maddubs_chains_accumulate_four_products_per_lane_per_step(int bits)
    {
        Skip.If(bits == 512 && !Avx512BW.IsSupported, "no AVX-512BW on this CPU");
        Skip.If(bits == 256 && !Avx2.IsSupported, "no AVX2 on this CPU");
        // Eight vectors a step, the steps cycling through the 4 KiB block (eight 512-byte or sixteen 256-byte slices);
        // every byte times −2. 32 steps keep the chains' int16 lanes (two products of up to 255·2 a step) from wrapping.
        const int iterations = 32;
        int step = bits, slices = 4096 / step;
        long expected = 0;
        for (int i = 0; i < iterations; i++)
            for (int b = 0; b < step; b++)
                expected += (byte)(((i % slices) * step + b) * 7) * -2;
        Assert.Equal(expected, bits == 512 ? Int8Peaks.Avx512BwChains(iterations) : Int8Peaks.Avx2Chains(iterations));
        // bits/8 products a vpmaddubsw, a multiply and an add each, eight vectors a step.
        Assert.Equal(iterations * 8 * bits / 8 * 2.0, bits == 512 ? Int8Peaks.Avx512BwOps(iterations) : Int8Peaks.Avx2Ops(iterations));
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
    public void A_calibration_slowed_down_still_times_batches_the_clock_can_measure()
    {
        // The first calls stall (as when the host preempts the calibration), so the timer first sizes its batches for a
        // slow call. Batches of one fast call are shorter than the clock can time well (a read of the clock costs more
        // than the call): the timer must grow them rather than report the clock's cost, or nothing, as the call's.
        // Judged against the call's own cost timed in one long batch, not against a fixed time: under an emulator (the
        // Arm64 run of these tests) a call costs tens of nanoseconds, natively one or two, and a clock read about twenty.
        int calls = 0;
        Action call = () =>
        {
            if (calls++ < 2)
                Thread.Sleep(2);
        };
        double seconds = CallTimer.SecondsPerCall(call, 0.02);
        const int direct = 1_000_000;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < direct; i++)
            call();
        double own = Stopwatch.GetElapsedTime(start).TotalSeconds / direct;
        Assert.True(seconds > 0);
        Assert.True(seconds < 4 * own, $"{seconds * 1e9:F1} ns per call of a counter increment, which costs {own * 1e9:F1} ns");
    }

    /// <summary>Limits with every field named; the compute peaks consistent unless a test says otherwise.</summary>
    private static MachineLimits Limits(int threads = 2, double fmaOne = 220, double fmaAll = 430, double vnniOne = 400, double vnniAll = 790,
        double maddubsOne = 200, double maddubsAll = 390, double avx512BwOne = 0, double avx512BwAll = 0, int fmaBits = 512)
        => new(threads, ReadBandwidthOneThread: 38, ReadBandwidthAllThreads: 70, Fp32FmaVectorBits: fmaBits, Fp32FmaFused: true,
            Fp32FmaGflopsPerThread: fmaOne, Fp32FmaGflopsAllThreads: fmaAll, Int8VnniGopsPerThread: vnniOne, Int8VnniGopsAllThreads: vnniAll,
            Int8Avx2GopsPerThread: maddubsOne, Int8Avx2GopsAllThreads: maddubsAll, Int8Avx512BwGopsPerThread: avx512BwOne,
            Int8Avx512BwGopsAllThreads: avx512BwAll);

    [Fact]
    public void The_report_is_one_camel_case_json_object()
    {
        var report = new BenchKernelsReport("Avx2", Limits(fmaBits: 256, vnniAll: 500, maddubsOne: 150, maddubsAll: 600),
            [new KernelResult("matvec F32", "4x4", 2, 1.5, 12.5, null, "read-bw-all", 0.625, 20)], 3.5);
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal("Avx2", root.GetProperty("isa").GetString());
        var machine = root.GetProperty("machine");
        Assert.Equal(70, machine.GetProperty("readBandwidthAllThreads").GetDouble());
        var kernel = root.GetProperty("kernels")[0];
        Assert.Equal(0.625, kernel.GetProperty("ratio").GetDouble());
        Assert.Equal(20, kernel.GetProperty("limitValue").GetDouble());
        Assert.Equal(500, machine.GetProperty("int8VnniGopsAllThreads").GetDouble());
        Assert.Equal(150, machine.GetProperty("int8Avx2GopsPerThread").GetDouble());
        Assert.Equal(600, machine.GetProperty("int8Avx2GopsAllThreads").GetDouble());
        Assert.Equal(0, machine.GetProperty("int8Avx512BwGopsAllThreads").GetDouble());
        Assert.Equal(256, machine.GetProperty("fp32FmaVectorBits").GetInt32());
        Assert.True(machine.GetProperty("fp32FmaFused").GetBoolean());
        Assert.False(kernel.TryGetProperty("gigaflopsPerSecond", out _));
    }

    [Fact]
    public void Limits_that_do_not_scale_with_the_threads_are_reported_as_disturbed()
    {
        Assert.Empty(Limits().Inconsistencies());
        Assert.Empty(Limits(threads: 1, fmaAll: 220, vnniAll: 400, maddubsAll: 200).Inconsistencies());
        Assert.Empty(Limits(vnniOne: 0, vnniAll: 0, maddubsOne: 0, maddubsAll: 0).Inconsistencies());
        Assert.Empty(Limits(avx512BwOne: 260, avx512BwAll: 500).Inconsistencies());
        var wide = Limits(avx512BwOne: 260, avx512BwAll: 300).Inconsistencies();
        Assert.Single(wide);
        Assert.Contains("int8 maddubs (512-bit) peak on 2 threads (300.0 GOP/s)", wide[0]);
        Assert.Contains("int8-all (maddubs)", wide[0]);
        Assert.Empty(Limits(threads: 1, fmaAll: 200, vnniAll: 300, maddubsAll: 100).Inconsistencies()); // one thread: nothing to compare

        var fma = Limits(fmaOne: 221.5, fmaAll: 212.5).Inconsistencies();
        Assert.Single(fma);
        Assert.Contains("FP32 FMA", fma[0]);
        Assert.Contains("212.5", fma[0]);

        var both = Limits(fmaOne: 221.5, fmaAll: 212.5, vnniAll: 390).Inconsistencies();
        Assert.Equal(2, both.Count);
        Assert.Contains("vpdpbusd", both[1]);

        var maddubs = Limits(maddubsOne: 201.5, maddubsAll: 180.5).Inconsistencies();
        Assert.Single(maddubs);
        Assert.Contains("maddubs", maddubs[0]);
        Assert.Contains("180.5", maddubs[0]);
        Assert.Contains("int8-all (maddubs)", maddubs[0]);

        Assert.Equal(3, Limits(fmaOne: 221.5, fmaAll: 212.5, vnniAll: 390, maddubsAll: 190).Inconsistencies().Count);

        // More than the thread count times one thread's figure: one of the two was timed while a core was taken.
        Assert.Empty(Limits(maddubsOne: 200, maddubsAll: 2 * 200 * MachineLimits.ScalingSlack - 1).Inconsistencies());
        var above = Limits(maddubsOne: 169.8, maddubsAll: 565.8).Inconsistencies();
        Assert.Single(above);
        Assert.Contains("more than 2 times one thread's (169.8)", above[0]);
        Assert.Contains("int8-all (maddubs)", above[0]);
        Assert.Single(Limits(fmaOne: 100, fmaAll: 260).Inconsistencies());
        // Barely above one thread's: the second core added almost nothing (a run here: 102.6 against 102.3 GFLOP/s).
        var flat = Limits(fmaOne: 102.3, fmaAll: 102.6).Inconsistencies();
        Assert.Single(flat);
        Assert.Contains("below 1.5 times one thread's (102.3)", flat[0]);
        Assert.Empty(Limits(maddubsOne: 211.0, maddubsAll: 355.5).Inconsistencies()); // undisturbed here: 1.68 times

        var report = new BenchKernelsReport("Avx512", Limits(fmaOne: 221.5, fmaAll: 212.5), [], 1);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(1, json.RootElement.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public void Disturbed_peaks_are_measured_again_up_to_the_attempt_limit()
    {
        var disturbed = Limits(fmaOne: 221.5, fmaAll: 212.5);
        var undisturbed = Limits();

        var calls = 0;
        var sequence = new[] { disturbed, undisturbed, disturbed };
        Assert.Same(undisturbed, MachineLimits.FirstConsistent(() => sequence[calls++], attempts: 3));
        Assert.Equal(2, calls);

        calls = 0;
        Assert.Same(undisturbed, MachineLimits.FirstConsistent(() => { calls++; return undisturbed; }, attempts: 3));
        Assert.Equal(1, calls);

        // Disturbed every time: the last measurement stands, and its warnings with it.
        calls = 0;
        var last = MachineLimits.FirstConsistent(() => { calls++; return Limits(fmaOne: 221.5, fmaAll: 200 + calls); }, MachineLimits.PeakAttempts);
        Assert.Equal(MachineLimits.PeakAttempts, calls);
        Assert.Equal(200 + MachineLimits.PeakAttempts, last.Fp32FmaGflopsAllThreads);
        Assert.Single(last.Inconsistencies());
    }

    [Fact]
    public void Integer_rows_are_judged_against_the_int8_peak_of_the_instruction_their_kernels_run()
    {
        // 2e8 operations in 1 ms: 200 GOP/s.
        KernelResult Row(MachineLimits limits, IsaPath path, bool integer = true)
            => BenchKernels.ComputeBound(limits, path, "matmul Q8_0", "512x4096x4096", 2, 1e-3, 2e8, integer);

        // No VNNI: the AVX2 kernels' vpmaddubsw peak, named.
        var noVnni = Row(Limits(vnniOne: 0, vnniAll: 0, maddubsAll: 400), IsaPath.Avx2);
        Assert.Equal("int8-all (maddubs)", noVnni.Limit);
        Assert.Equal(400, noVnni.LimitValue);
        Assert.Equal(0.5, noVnni.Ratio!.Value, 9);
        var report = new BenchKernelsReport("Avx2", Limits(vnniOne: 0, vnniAll: 0, maddubsAll: 400), [noVnni], 1);
        using (var json = JsonDocument.Parse(report.ToJson()))
            Assert.Equal("int8-all (maddubs)", json.RootElement.GetProperty("kernels")[0].GetProperty("limit").GetString());

        // The AVX2 path runs vpdpbusd where the CPU has AVX-VNNI (RowDot.UsesVnni), and vpmaddubsw where it has not.
        var avx2 = Row(Limits(vnniAll: 800, maddubsAll: 400), IsaPath.Avx2);
        Assert.Equal(AvxVnni.IsSupported ? ("int8-all (vpdpbusd)", 800.0) : ("int8-all (maddubs)", 400.0), (avx2.Limit, avx2.LimitValue!.Value));

        // The AVX-512 path: vpdpbusd where its kernels run it (a CPU with AVX-VNNI, or the path emulated below an AVX-512
        // CPU); otherwise its 256-bit integer kernels run vpmaddubsw too.
        var avx512 = Row(Limits(vnniAll: 800, maddubsAll: 400), IsaPath.Avx512);
        bool avx512Vnni = AvxVnni.IsSupported || KernelIsa.Hardware < IsaPath.Avx512;
        Assert.Equal(avx512Vnni ? ("int8-all (vpdpbusd)", 800.0) : ("int8-all (maddubs)", 400.0), (avx512.Limit, avx512.LimitValue!.Value));
        // Without vpdpbusd its prefill kernels run 512-bit vpmaddubsw: the faster of the two widths' peaks.
        var both = Limits(vnniAll: 800, maddubsAll: 400, avx512BwOne: 260, avx512BwAll: 480);
        Assert.Equal(("maddubs", 480.0), both.Int8Ceiling(IsaPath.Avx512, vnni: false));
        Assert.Equal(("maddubs", 400.0), Limits(vnniAll: 800, maddubsAll: 400, avx512BwOne: 190, avx512BwAll: 360).Int8Ceiling(IsaPath.Avx512, vnni: false));
        Assert.Equal(("vpdpbusd", 800.0), both.Int8Ceiling(IsaPath.Avx512, vnni: true));
        Assert.Equal(avx512Vnni ? 800.0 : 480.0, Row(both, IsaPath.Avx512).LimitValue!.Value);
        // The AVX2 path's kernels are 256-bit whatever the CPU has.
        Assert.Equal(("maddubs", 400.0), both.Int8Ceiling(IsaPath.Avx2, vnni: false));
        Assert.Equal(("vpdpbusd", 800.0), both.Int8Ceiling(IsaPath.Avx2, vnni: true));

        // No peak times the 128-bit and scalar kernels, and an unmeasured peak (0) gives no ratio.
        foreach (var unjudged in new[] { Row(Limits(), IsaPath.V128), Row(Limits(), IsaPath.Scalar), Row(Limits(vnniAll: 0, maddubsAll: 0), IsaPath.Avx2) })
        {
            Assert.Equal("", unjudged.Limit);
            Assert.Null(unjudged.Ratio);
            Assert.Null(unjudged.LimitValue);
            Assert.Equal(200, unjudged.GigaflopsPerSecond!.Value, 9);
        }

        // Float rows: the FP32 peak, whatever the int8 peaks.
        var fp32 = Row(Limits(fmaAll: 800, vnniAll: 0, maddubsAll: 0), IsaPath.Avx2, integer: false);
        Assert.Equal("fma-all", fp32.Limit);
        Assert.Equal(0.25, fp32.Ratio!.Value, 9);
    }

    [Fact]
    public void The_runner_rejects_bad_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchKernels.Run(0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchKernels.Run(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchKernels.Run(1, 61));
    }
}
