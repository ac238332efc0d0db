using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Tests;

public class SpecTests
{
    [Fact]
    public void GroqChip1_carries_the_published_figures()
    {
        var spec = GroqChip1.Spec();
        spec.Validate();
        Assert.Equal(576, spec.Chips);
        Assert.Equal(900e6, spec.ClockHz);
        Assert.Equal(230.7e6, spec.SramBytesPerChip, 0.1e6);
        Assert.Equal(80e12, spec.SramReadBytesPerSecond);
        Assert.Equal(750e12, spec.PeakOpsPerSecond(LpuPrecision.Int8));
        Assert.Equal(188e12, spec.PeakOpsPerSecond(LpuPrecision.Fp16));
        Assert.Equal((16, 14e9), (spec.LinksPerChip, spec.LinkBytesPerSecond));
        Assert.Equal((8, 72), (spec.ChipsPerNode, spec.ChipsPerRack));
        Assert.True(spec.HopLatencySeconds < 1e-6);
        // 5 hops plus one deskew stay within the ISCA'22 "< 3 us end-to-end" bound
        Assert.True(5 * spec.HopLatencySeconds + spec.SyncSeconds <= 3e-6 + 1e-12);
        // the stream fabric (64 lanes x 320 B x 0.9 GHz) is narrower than the SRAM arrays
        Assert.Equal(18.432e12, spec.WeightStreamBytesPerSecond, 1e9);
        // the token loop runs on the chips
        Assert.Equal(0, spec.TokenOverheadSeconds);
    }

    [Fact]
    public void Hops_follow_nodes_and_racks()
    {
        var spec = GroqChip1.Spec();
        Assert.Equal(0, spec.Hops(5, 5));
        Assert.Equal(1, spec.Hops(0, 7));
        Assert.Equal(2, spec.Hops(7, 8));
        Assert.Equal(2, spec.Hops(0, 71));
        Assert.Equal(3, spec.Hops(71, 72));
    }

    [Fact]
    public void Invalid_specs_and_names_are_rejected()
    {
        var spec = GroqChip1.Spec();
        Assert.Contains("chips", Assert.Throws<ArgumentException>(() => (spec with { Chips = 0 }).Validate()).Message);
        Assert.Contains("link", Assert.Throws<ArgumentException>(() => (spec with { LinkBytesPerSecond = double.NaN }).Validate()).Message);
        Assert.Contains("per rack", Assert.Throws<ArgumentException>(() => (spec with { ChipsPerRack = 4 }).Validate()).Message);
        Assert.Throws<ArgumentException>(() => LpuSpecs.ByName("tpu-v4"));
        Assert.Throws<ArgumentException>(() => LpuSpecs.ByName("groqchip1", 0));
        Assert.Equal(100, LpuSpecs.ByName("GroqChip1", 100).Chips);
    }
}
