using FastInfer.Kernels;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

public class DeviceSpecTests
{
    [Fact]
    public void A_model_larger_than_the_caches_streams_from_DRAM_and_still_fits()
    {
        var shape = LpuModelShapes.ByName("tinyllama-1.1b") with { WeightType = GgmlType.Q8_0, WeightBytes = 34.0 / 32, Context = 256 };
        var cached = ThisCpu.Spec(2);
        var spec = ThisCpu.DeviceSpec(shape, 2);
        Assert.True(spec.SramBytesPerChip > cached.SramBytesPerChip);
        Assert.Equal(spec.StreamBytesPerSecond, spec.SramReadBytesPerSecond);
        Assert.True(LpuCompiler.Compile(shape, spec).Fits);
    }

    [Fact]
    public void A_model_that_fits_the_caches_keeps_the_cache_size()
    {
        var shape = LpuModelShapes.ByName("stories15M") with { WeightType = GgmlType.Q4_0, WeightBytes = 18.0 / 32 };
        var spec = ThisCpu.DeviceSpec(shape, 2);
        Assert.Equal(ThisCpu.Spec(2).SramBytesPerChip, spec.SramBytesPerChip);
        Assert.True(spec.StreamBytesPerSecond > 0 && double.IsFinite(spec.StreamBytesPerSecond));
    }
}
