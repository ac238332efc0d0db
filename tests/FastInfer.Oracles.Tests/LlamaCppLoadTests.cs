using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Tests;
using LLama;
using LLama.Common;
using LLama.Native;

namespace FastInfer.Oracles.Tests;

/// <summary>llama.cpp (through LLamaSharp) loads the GGUF files FastInfer writes, and evaluates a token with them.</summary>
public class LlamaCppLoadTests
{
    private static readonly SyntheticModelShape Shape =
        SyntheticModelShape.Parse("custom:dim=64,ffn=128,layers=2,heads=4,kv=2,vocab=320,ctx=128");

    static LlamaCppLoadTests() => LlamaCppRuntime.EnsureLoaded();

    private static readonly SyntheticModelShape MoeShape =
        SyntheticModelShape.Parse("custom:dim=64,ffn=96,layers=2,heads=4,kv=2,vocab=300,ctx=64,experts=4,top=2,theta=1000000");

    [Theory]
    [InlineData(GgmlType.F32, false)]
    [InlineData(GgmlType.Q8_0, false)]
    [InlineData(GgmlType.Q4_0, false)]
    [InlineData(GgmlType.Q4_1, false)]
    [InlineData(GgmlType.Q5_1, false)]
    [InlineData(GgmlType.F16, false)]
    [InlineData(GgmlType.BF16, false)]
    [InlineData(GgmlType.Q8_0, true)]
    public void SyntheticModelLoadsAndEvaluatesAToken(GgmlType type, bool mixtureOfExperts)
    {
        var shape = mixtureOfExperts ? MoeShape : Shape;
        string directory = TestModels.TempDirectory("oracle-load");
        try
        {
            string path = Path.Combine(directory, $"synthetic-{type}.gguf");
            SyntheticModelWriter.Write(shape, type, seed: 11, path);

            var parameters = Parameters(path);
            using var weights = LLamaWeights.LoadFromFile(parameters);
            Assert.Equal(shape.Config.VocabularySize, weights.Vocab.Count);
            Assert.Equal(shape.Config.BlockCount, weights.NativeHandle.LayerCount);
            Assert.Equal(shape.Config.HeadCount, weights.NativeHandle.HeadCount);
            Assert.Equal(shape.Config.KvHeadCount, weights.NativeHandle.KVHeadCount);
            Assert.Equal(shape.Config.EmbeddingLength, weights.EmbeddingSize);
            Assert.Equal(shape.Config.ContextLength, weights.ContextSize);
            Assert.Equal((ulong)shape.ParameterCount, weights.ParameterCount);
            Assert.Equal(TensorBytes(path), (long)weights.SizeInBytes);
            Assert.Equal(1, (int)weights.Vocab.BOS!.Value);
            Assert.Equal(2, (int)weights.Vocab.EOS!.Value);
            Assert.Equal("synthetic custom (seed 11)", weights.Metadata["general.name"]);

            EvaluateOneToken(weights, parameters, shape.Config.VocabularySize);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The generated 32000-piece SentencePiece-style vocabulary is one llama.cpp accepts, byte tokens included.</summary>
    [Fact]
    public void FullSizeSyntheticVocabularyLoads()
    {
        var shape = SyntheticModelShape.Parse("custom:dim=32,ffn=32,layers=1,heads=2,vocab=32000,ctx=32");
        string directory = TestModels.TempDirectory("oracle-load");
        try
        {
            string path = Path.Combine(directory, "vocab32k.gguf");
            SyntheticModelWriter.Write(shape, GgmlType.Q8_0, seed: 5, path);
            var parameters = Parameters(path);
            using var weights = LLamaWeights.LoadFromFile(parameters);
            Assert.Equal(32000, weights.Vocab.Count);
            Assert.Equal(3 + 0x0A, (int)weights.Vocab.Newline!.Value); // <0x0A> follows <unk>, <s>, </s>
            EvaluateOneToken(weights, parameters, 32000);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The oracle can fail: llama.cpp refuses a file whose last tensor is cut short.</summary>
    [Fact]
    public void TruncatedFileIsRefused()
    {
        string directory = TestModels.TempDirectory("oracle-load");
        try
        {
            string path = Path.Combine(directory, "truncated.gguf");
            var bytes = SyntheticModelWriter.CreateWriter(Shape, GgmlType.Q8_0, 11).ToArray();
            File.WriteAllBytes(path, bytes[..^100]);
            Assert.ThrowsAny<Exception>(() => LLamaWeights.LoadFromFile(Parameters(path)).Dispose());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [SkippableFact]
    public void Stories260KLoadsAndEvaluatesAToken()
    {
        string path = TestModels.Require("stories260K.gguf");
        var parameters = Parameters(path);
        using var weights = LLamaWeights.LoadFromFile(parameters);
        Assert.Equal(512, weights.Vocab.Count);
        Assert.Equal(5, weights.NativeHandle.LayerCount);
        Assert.Equal(8, weights.NativeHandle.HeadCount);
        Assert.Equal(4, weights.NativeHandle.KVHeadCount);
        using (var ours = GgufFile.Open(path))
            Assert.Equal(ours.Tensors.Sum(t => t.ElementCount), (long)weights.ParameterCount);
        EvaluateOneToken(weights, parameters, 512);
    }

    private static ModelParams Parameters(string path) => new(path)
    {
        ContextSize = 32,
        GpuLayerCount = 0,
        Threads = 1,
        BatchSize = 32,
    };

    private static long TensorBytes(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Tensors.Sum(t => t.ByteLength);
    }

    private static void EvaluateOneToken(LLamaWeights weights, ModelParams parameters, int vocabulary)
    {
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        batch.Add(1, 0, LLamaSeqId.Zero, true);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        var logits = context.NativeHandle.GetLogitsIth(0);
        Assert.Equal(vocabulary, logits.Length);
        foreach (float logit in logits)
            Assert.True(float.IsFinite(logit));
        Assert.True(logits.ToArray().Distinct().Count() > 1, "all logits are equal");
    }
}
