using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

/// <summary>One spec for every model: the simulator must land in the published bands (see README.md of FastInfer.Lpu).</summary>
public class CalibrationTests
{
    [Fact]
    public void Llama2_70B_on_576_GroqChips_decodes_at_240_to_330_tokens_per_second()
    {
        var program = Programs.Llama2_70B_On576;
        Assert.True(program.Fits);
        Assert.True(program.ChipsUsed <= 576);
        var simulation = LpuSimulator.Run(program, 550);
        Assert.InRange(simulation.TokensPerSecond, 240, 330);
    }

    [Fact]
    public void Mixtral_8x7B_decodes_at_400_to_520_tokens_per_second_and_reports_the_chips_it_needs()
    {
        var program = Programs.Mixtral_On576;
        Assert.True(program.Fits);
        var simulation = LpuSimulator.Run(program, 550);
        Assert.InRange(simulation.TokensPerSecond, 400, 520);
        // 46.7 B int8 weights plus a 32k-token fp16 KV cache need at least 47.0 GB / 230.7 MB = 204 chips.
        Assert.InRange(program.ChipsNeeded, 204, 576);
        Assert.InRange(program.ChipsUsed, program.ChipsNeeded, 576);
    }

    [Fact]
    public void Most_of_a_70B_layer_is_latency_not_SRAM_bandwidth()
    {
        var total = LpuSimulator.Run(Programs.Llama2_70B_On576, 550).Total;
        Assert.True(total.Stream < 0.2 * total.Total, $"stream {total.Stream} of {total.Total}");
        Assert.True(total.Compute + total.Sync + total.Transfer > 0.8 * total.Total);
    }
}
