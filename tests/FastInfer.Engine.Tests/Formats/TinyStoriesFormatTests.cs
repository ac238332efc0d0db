using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Formats.Llama2c;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>The real stories260K model in both formats: same hyperparameters, bit-identical tensors.</summary>
public class TinyStoriesFormatTests
{
    [SkippableFact]
    public void GgufConfigMatchesTheModelCard()
    {
        using var file = GgufFile.Open(TestModels.Require("stories260K.gguf"));
        Assert.Equal(3, file.Version);
        Assert.Equal("llama", file.GetString("general.architecture"));
        var config = LlamaConfigReader.FromGguf(file);
        Assert.Equal(64, config.EmbeddingLength);
        Assert.Equal(172, config.FeedForwardLength);
        Assert.Equal(5, config.BlockCount);
        Assert.Equal(8, config.HeadCount);
        Assert.Equal(4, config.KvHeadCount);
        Assert.Equal(512, config.VocabularySize);
        Assert.Equal(RopeLayout.Interleaved, config.RopeLayout);
        Assert.Equal(0, config.ExpertCount);
        Assert.Equal(512, file.Metadata["tokenizer.ggml.tokens"].AsStringArray().Length);
        Assert.Equal(512, file.Metadata["tokenizer.ggml.scores"].AsFloatArray().Length);
        Assert.Equal(512, file.Metadata["tokenizer.ggml.token_type"].AsIntArray().Length);
        Assert.Equal(3 + 5 * 9, file.Tensors.Count);
        var embedding = file.Get("token_embd.weight");
        Assert.Equal([64L, 512L], embedding.Dimensions);
        Assert.Equal(GgmlType.F32, embedding.Type);
        Assert.Equal([172L, 64L], file.Get("blk.4.ffn_down.weight").Dimensions);
        Assert.Equal([64L, 32L], file.Get("blk.0.attn_k.weight").Dimensions);
        Assert.Equal(64, file.Get("output_norm.weight").AsF32Span().Length);
        Assert.Equal(TensorBytes.Of(embedding), TensorBytes.Of(file.Get("output.weight")));
    }

    [SkippableFact]
    public void Llama2cCheckpointHasTheSameConfigAndBitIdenticalTensors()
    {
        using var gguf = GgufFile.Open(TestModels.Require("stories260K.gguf"));
        using var checkpoint = Llama2cCheckpoint.Open(TestModels.Require("stories260K.bin"));
        var fromGguf = LlamaConfigReader.FromGguf(gguf);
        Assert.True(checkpoint.SharedClassifier);
        Assert.Equal(fromGguf with { ContextLength = 0, RmsEpsilon = 0 }, checkpoint.Config with { ContextLength = 0, RmsEpsilon = 0 });
        Assert.Equal(1e-5f, checkpoint.Config.RmsEpsilon);
        Assert.Null(checkpoint.Find("output.weight"));
        Assert.Equal(gguf.Tensors.Count - 1, checkpoint.Tensors.Count);
        foreach (var tensor in checkpoint.Tensors)
        {
            var twin = gguf.Get(tensor.Name);
            Assert.Equal(twin.Type, tensor.Type);
            Assert.Equal(twin.Dimensions, tensor.Dimensions);
            Assert.True(TensorBytes.Of(twin).SequenceEqual(TensorBytes.Of(tensor)), $"tensor {tensor.Name} differs");
        }
        Assert.Equal(TensorBytes.Of(gguf.Get("output.weight")), TensorBytes.Of(checkpoint.Get("token_embd.weight")));
    }

    [SkippableFact]
    public void ContextOverrideReplacesTheHeaderSeqLen()
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestModels.Require("stories260K.bin"), contextOverride: 1000);
        Assert.Equal(1000, checkpoint.Config.ContextLength);
    }
}
