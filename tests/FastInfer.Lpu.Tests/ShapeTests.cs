using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

public class ShapeTests
{
    [Theory]
    [InlineData("llama2-7b", 6.74)]
    [InlineData("llama2-70b", 68.98)]
    [InlineData("llama3-8b", 8.03)]
    [InlineData("llama3-70b", 70.55)]
    [InlineData("mixtral-8x7b", 46.70)]
    [InlineData("tinyllama-1.1b", 1.10)]
    [InlineData("stories110M", 0.109)]
    public void Named_configs_have_the_published_parameter_counts(string name, double billions)
    {
        var shape = LpuModelShapes.ByName(name);
        Assert.Equal(billions, shape.TotalWeights / 1e9, 0.01 * billions);
    }

    [Fact]
    public void Mixtral_activates_about_13B_parameters_per_token()
    {
        var shape = LpuModelShapes.ByName("mixtral-8x7b");
        Assert.Equal(12.9, shape.ActiveWeights / 1e9, 0.2);
        Assert.Equal((8, 2, 32768), (shape.Experts, shape.ExpertsUsed, shape.Context));
    }

    [Fact]
    public void Precision_sets_bytes_per_weight()
    {
        Assert.Equal(1, LpuModelShapes.ByName("llama2-70b", LpuPrecision.Int8).WeightBytes);
        Assert.Equal(2, LpuModelShapes.ByName("LLAMA2-70B", LpuPrecision.Fp16).WeightBytes);
        Assert.Throws<ArgumentException>(() => LpuModelShapes.ByName("gpt-5"));
        Assert.Equal(LpuPrecision.Fp16, LpuPrecisions.Parse("FP16"));
        Assert.Throws<ArgumentException>(() => LpuPrecisions.Parse("int4"));
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 34.0 / 32, LpuPrecision.Int8)]
    [InlineData(GgmlType.Q4_0, 18.0 / 32, LpuPrecision.Int8)]
    [InlineData(GgmlType.F16, 2.0, LpuPrecision.Fp16)]
    [InlineData(GgmlType.F32, 4.0, LpuPrecision.Fp16)]
    public void A_shape_comes_from_an_Engine_config_and_a_weight_type(GgmlType type, double bytes, LpuPrecision precision)
    {
        var config = new LlamaConfig
        {
            EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
            VocabularySize = 32000, ContextLength = 32768, ExpertCount = 8, ExpertUsedCount = 2,
        };
        var shape = LpuModelShape.FromLlamaConfig(config, type, "mixtral-gguf");
        Assert.Equal(bytes, shape.WeightBytes);
        Assert.Equal(precision, shape.Precision);
        var named = LpuModelShapes.ByName("mixtral-8x7b");
        Assert.Equal(named.TotalWeights, shape.TotalWeights);
        Assert.Equal((named.HeadDimension, named.KvDimension), (shape.HeadDimension, shape.KvDimension));
    }

    [Fact]
    public void A_bad_config_or_weight_type_is_rejected_with_its_reason()
    {
        var bad = new LlamaConfig { EmbeddingLength = 100, FeedForwardLength = 10, BlockCount = 1, HeadCount = 3, KvHeadCount = 1, VocabularySize = 10, ContextLength = 8 };
        Assert.Contains("heads", Assert.Throws<FormatException>(() => LpuModelShape.FromLlamaConfig(bad, GgmlType.F32)).Message);
        var good = bad with { EmbeddingLength = 96, HeadCount = 4 };
        Assert.Throws<ArgumentException>(() => LpuModelShape.FromLlamaConfig(good, (GgmlType)99));
        var shape = LpuModelShapes.ByName("stories15M");
        Assert.Contains("context", Assert.Throws<ArgumentException>(() => (shape with { Context = 0 }).Validate()).Message);
        Assert.Contains("experts", Assert.Throws<ArgumentException>(() => (shape with { Experts = 2, ExpertsUsed = 3 }).Validate()).Message);
    }
}
