using FastInfer.Engine;
using FastInfer.Engine.Generation;
using FastInfer.Engine.Sampling;
using FastInfer.Lpu.Execution;
using FastInfer.Tests;

namespace FastInfer.Lpu.Tests;

/// <summary>The Engine API option that selects the device: greedy stories260K reproduces llama2.c's run exactly.</summary>
public class DeviceGenerationTests
{
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(3)]
    public void Stories260K_greedy_on_the_device_is_llama2c_output(int chips)
    {
        string expected = File.ReadAllText(TestModels.Require(Path.Combine("expected", "stories260K.run_t0_noprompt.txt"))).TrimEnd('\n');
        using var model = LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = 1, Device = LpuDevice.Factory(chips, stageWidth: chips) });
        using var session = model.CreateSession();
        var settings = new GenerationSettings { MaxTokens = 256, Sampling = new SamplingSettings { Temperature = 0 } };
        Assert.Equal(expected, string.Concat(session.Generate("", settings)));
        Assert.Equal(chips, ((LpuDevice)model.Device!).Chips);
    }

    [Fact]
    public void Unknown_chip_layouts_are_refused_with_the_range()
    {
        using var model = DeviceTestModels.Load("custom:dim=64,ffn=128,layers=1,heads=4,kv=2,vocab=320,ctx=32", Kernels.GgmlType.F32);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LpuDevice.Create(model, chips: 2, stageWidth: 3));
        Assert.Contains("1 to 2", e.Message);
    }
}
