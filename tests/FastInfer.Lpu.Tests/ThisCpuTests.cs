using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

public class ThisCpuTests
{
    [Fact]
    public void The_host_probe_measures_positive_rates_once_per_process()
    {
        var measured = HostProbe.Current;
        Assert.Same(measured, HostProbe.Current);
        Assert.True(measured.CacheReadBytesPerSecond is > 1e8 and < 1e13, $"cache {measured.CacheReadBytesPerSecond}");
        Assert.True(measured.DramReadBytesPerSecond is > 1e8 and < 1e13, $"dram {measured.DramReadBytesPerSecond}");
        Assert.True(measured.Fp32FlopsPerSecond is > 1e8 and < 1e13, $"flops {measured.Fp32FlopsPerSecond}");
    }

    [Fact]
    public void Each_core_is_a_chip_with_its_caches_as_SRAM()
    {
        var spec = ThisCpu.Spec();
        spec.Validate();
        Assert.Equal(Environment.ProcessorCount, spec.Chips);
        Assert.Equal(CpuCacheTopology.Read().PrivateBytesPerCore, spec.SramBytesPerChip);
        Assert.Equal(4 * spec.Chips, ThisCpu.Spec(4 * spec.Chips).Chips);
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("stories15M"), spec.WithChips(2) with { SramBytesPerChip = 64L << 20 });
        Assert.True(program.Fits);
        Assert.True(LpuSimulator.Run(program, 64).TokensPerSecond > 0);
    }

    [Fact]
    public void A_model_larger_than_the_caches_does_not_fit_and_says_how_many_cores_it_needs()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("llama2-7b"), ThisCpu.Spec());
        Assert.False(program.Fits);
        Assert.True(program.ChipsNeeded > Environment.ProcessorCount);
    }

    [Fact]
    public void Cache_sizes_are_read_from_sysfs_files()
    {
        var root = Directory.CreateTempSubdirectory("lpu-cache");
        try
        {
            void Index(int i, string level, string type, string size, string shared)
            {
                var dir = Directory.CreateDirectory(Path.Combine(root.FullName, $"index{i}"));
                File.WriteAllText(Path.Combine(dir.FullName, "level"), level + "\n");
                File.WriteAllText(Path.Combine(dir.FullName, "type"), type + "\n");
                File.WriteAllText(Path.Combine(dir.FullName, "size"), size + "\n");
                File.WriteAllText(Path.Combine(dir.FullName, "shared_cpu_list"), shared + "\n");
            }
            Index(0, "1", "Data", "48K", "0-1");
            Index(1, "1", "Instruction", "32K", "0-1");
            Index(2, "2", "Unified", "1024K", "0-1");
            Index(3, "3", "Unified", "32768K", "0-7");
            var caches = CpuCacheTopology.Read(root.FullName);
            Assert.True(caches.FromSysfs);
            Assert.Equal((1L << 20, 2, 32L << 20, 8), (caches.L2Bytes, caches.L2Sharers, caches.L3Bytes, caches.L3Sharers));
            Assert.Equal((512L << 10) + (4L << 20), caches.PrivateBytesPerCore);
        }
        finally
        {
            root.Delete(recursive: true);
        }
        var missing = CpuCacheTopology.Read("/nonexistent/cache", "/nonexistent/cpuinfo");
        Assert.False(missing.FromSysfs);
        Assert.Equal(CpuCacheTopology.FallbackL2Bytes, missing.L2Bytes);
        Assert.Equal(CpuCacheTopology.FallbackL3Bytes, missing.L3Bytes);
    }

    [Fact]
    public void Without_sysfs_the_L2_size_comes_from_cpuinfo()
    {
        var cpuinfo = Path.GetTempFileName();
        try
        {
            File.WriteAllText(cpuinfo, "processor\t: 0\nmodel name\t: Test CPU\ncache size\t: 2048 KB\n");
            var caches = CpuCacheTopology.Read("/nonexistent/cache", cpuinfo);
            Assert.Equal(2L << 20, caches.L2Bytes);
            Assert.False(caches.FromSysfs);
        }
        finally
        {
            File.Delete(cpuinfo);
        }
    }

    [Theory]
    [InlineData("48K", 48L << 10)]
    [InlineData("2M", 2L << 20)]
    [InlineData("512", 512L)]
    [InlineData("", 0L)]
    [InlineData("-4K", 0L)]
    [InlineData("abcK", 0L)]
    public void Sysfs_sizes_parse_or_give_zero(string text, long bytes) => Assert.Equal(bytes, CpuCacheTopology.ParseSize(text));

    [Theory]
    [InlineData("0-3,8,10-11", 7)]
    [InlineData("5", 1)]
    [InlineData("3-1", 1)]
    [InlineData("x", 1)]
    public void Sysfs_cpu_lists_count_or_give_one(string list, int cpus) => Assert.Equal(cpus, CpuCacheTopology.CountCpus(list));
}
