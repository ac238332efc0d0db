using FastInfer.Kernels;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Tests;

namespace FastInfer.Lpu.Tests;

public class ModelShapeReaderTests
{
    [SkippableFact]
    public void Stories260K_shape_comes_from_its_file()
    {
        var shape = ModelShapeReader.FromFile(TestModels.Require("stories260K.gguf"));
        Assert.Equal(5, shape.Layers);
        Assert.Equal(64, shape.Embedding);
        Assert.Equal(8, shape.Heads);
        Assert.Equal(4, shape.KvHeads);
        Assert.Equal(512, shape.Vocabulary);
        Assert.Equal(4.0, shape.WeightBytes);
        Assert.Equal(GgmlType.F32, shape.WeightType);
        Assert.Equal(LpuPrecision.Fp16, shape.Precision);
        Assert.Equal(ModelShapeReader.EngineKvBytes, shape.KvBytes);
    }

    [Fact]
    public void Quantized_files_count_the_bytes_their_blocks_take()
    {
        using var model = DeviceTestModels.Load("custom:dim=64,ffn=128,layers=2,heads=4,kv=2,vocab=320,ctx=32", GgmlType.Q4_0);
        var shape = ModelShapeReader.FromFile(model.Path);
        Assert.Equal(GgmlType.Q4_0, shape.WeightType);
        Assert.Equal(LpuPrecision.Int8, shape.Precision);
        Assert.InRange(shape.WeightBytes, 18.0 / 32 - 1e-9, 4.0); // Q4_0 blocks, plus any tensor the writer kept wider
        var program = LpuCompiler.Compile(shape, ThisCpu.DeviceSpec(shape, 2));
        Assert.True(program.Fits);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ModelShapeReader.FromFile("/nonexistent/model.gguf"));
        Assert.Contains("/nonexistent/model.gguf", e.Message);
    }

    [Fact]
    public void Kernel_probe_gives_a_finite_rate_and_refuses_types_without_a_kernel()
    {
        MatrixCall[][] token = [[new MatrixCall(64, 288), new MatrixCall(32, 288)], [new MatrixCall(288, 64)]];
        var alone = KernelProbe.Token(GgmlType.Q4_0, token);
        Assert.True(alone.StreamBytesPerSecond > 1e6 && double.IsFinite(alone.StreamBytesPerSecond), $"{alone.StreamBytesPerSecond} B/s");
        Assert.Equal(0, alone.BarrierSeconds); // one chip meets no peer
        Assert.True(alone.TokenSeconds > 0);
        var together = KernelProbe.Token(GgmlType.Q4_0, token, chips: 2);
        Assert.True(together.StreamBytesPerSecond > 1e6 && double.IsFinite(together.StreamBytesPerSecond), $"{together.StreamBytesPerSecond} B/s per chip");
        Assert.True(together.BarrierSeconds is > 0 and < 1e-2, $"barrier {together.BarrierSeconds} s");
        Assert.Same(together, KernelProbe.Token(GgmlType.Q4_0, token, chips: 2)); // a recent probe is reused
        Assert.Throws<ArgumentException>(() => KernelProbe.Token((GgmlType)999, token));
    }

    [Fact]
    public void Kernel_call_cost_is_positive_once_per_type_and_width_and_refuses_types_without_a_kernel()
    {
        double seconds = KernelProbe.CallSeconds(GgmlType.Q8_0, 288);
        Assert.True(seconds is > 0 and < 1e-2, $"{seconds} s");
        Assert.Equal(seconds, KernelProbe.CallSeconds(GgmlType.Q8_0, 288)); // rounded up to whole blocks: 9 of 32
        Assert.Equal(seconds, KernelProbe.CallSeconds(GgmlType.Q8_0, 270));
        Assert.Throws<ArgumentException>(() => KernelProbe.CallSeconds((GgmlType)999, 256));
    }

    [Fact]
    public void The_device_spec_streams_every_weight_but_an_untied_embedding_table()
    {
        var shape = LpuModelShapes.ByName("stories15M") with { TiedEmbeddings = false };
        Assert.Equal(shape.TotalWeights - shape.EmbeddingWeights, ThisCpu.StreamedWeights(shape));
        var tied = shape with { TiedEmbeddings = true };
        Assert.Equal(tied.TotalWeights, ThisCpu.StreamedWeights(tied));
        var spec = ThisCpu.DeviceSpec(shape, 2);
        spec.Validate();
        Assert.Equal(spec.SramReadBytesPerSecond, spec.StreamBytesPerSecond);
        // The measured call cost, not the guess of a spec without a model.
        Assert.Equal(KernelProbe.CallSeconds(GgmlType.Q8_0, shape.Embedding) * spec.ClockHz, spec.OpLatencyCycles, 1e-9 * spec.OpLatencyCycles);
    }
}
