using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Synthesis;
using FastInfer.Engine.Tests.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Synthesis;

public class SyntheticModelTests
{
    private static readonly SyntheticModelShape Tiny = SyntheticModelShape.Parse("custom:dim=64,ffn=96,layers=2,heads=4,kv=2,vocab=300,ctx=64");

    [Fact]
    public void PresetsHaveTheRealModelsShapes()
    {
        var tiny = SyntheticModelShape.Parse("tinyllama-1.1b");
        Assert.Equal((2048, 5632, 22, 32, 4, 32000, 2048), (tiny.Config.EmbeddingLength, tiny.Config.FeedForwardLength, tiny.Config.BlockCount, tiny.Config.HeadCount, tiny.Config.KvHeadCount, tiny.Config.VocabularySize, tiny.Config.ContextLength));
        var mistral = SyntheticModelShape.Parse("Mistral-7B");
        Assert.Equal((4096, 14336, 32, 8, 32768, 1e6f, 4096), (mistral.Config.EmbeddingLength, mistral.Config.FeedForwardLength, mistral.Config.BlockCount, mistral.Config.KvHeadCount, mistral.Config.ContextLength, mistral.Config.RopeTheta, mistral.Config.SlidingWindow));
        var mixtral = SyntheticModelShape.Parse("mixtral-8x7b");
        Assert.Equal((8, 2), (mixtral.Config.ExpertCount, mixtral.Config.ExpertUsedCount));
        Assert.Equal((288, 768, 6, 6, 256), (SyntheticModelShape.Stories15M.Config.EmbeddingLength, SyntheticModelShape.Stories15M.Config.FeedForwardLength,
            SyntheticModelShape.Stories15M.Config.BlockCount, SyntheticModelShape.Stories15M.Config.KvHeadCount, SyntheticModelShape.Stories15M.Config.ContextLength));
        Assert.Equal((768, 2048, 12, 1024), (SyntheticModelShape.Stories110M.Config.EmbeddingLength, SyntheticModelShape.Stories110M.Config.FeedForwardLength,
            SyntheticModelShape.Stories110M.Config.BlockCount, SyntheticModelShape.Stories110M.Config.ContextLength));
        // TinyLlama's published parameter count is 1.1B (1,100,048,384).
        Assert.Equal(1_100_048_384L, tiny.ParameterCount);
        foreach (var preset in SyntheticModelShape.Presets)
            preset.Config.Validate();
    }

    [Fact]
    public void CustomShapesParseAndBadOnesAreRejected()
    {
        var shape = SyntheticModelShape.Parse("custom:dim=128,ffn=256,layers=3,heads=8,vocab=400,ctx=32,experts=4,top=2,theta=500000,window=16");
        Assert.Equal((128, 256, 3, 8, 8, 400, 32), (shape.Config.EmbeddingLength, shape.Config.FeedForwardLength, shape.Config.BlockCount, shape.Config.HeadCount, shape.Config.KvHeadCount, shape.Config.VocabularySize, shape.Config.ContextLength));
        Assert.Equal((4, 2, 500000f, 16), (shape.Config.ExpertCount, shape.Config.ExpertUsedCount, shape.Config.RopeTheta, shape.Config.SlidingWindow));
        Assert.Throws<FormatException>(() => SyntheticModelShape.Parse("llama-9000"));
        Assert.Throws<FormatException>(() => SyntheticModelShape.Parse("custom:dim=64,ffn=x"));
        Assert.Throws<FormatException>(() => SyntheticModelShape.Parse("custom:dim=64,depth=3"));
        Assert.Throws<FormatException>(() => SyntheticModelShape.Parse("custom:dim=64,ffn=64,layers=1,heads=3,vocab=10,ctx=8"));
    }

    [Fact]
    public void SyntheticVocabularyIsSentencePieceShaped()
    {
        var vocab = ModelVocabulary.Synthetic(32000);
        Assert.Equal(32000, vocab.Tokens.Distinct().Count());
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], vocab.Tokens[..4]);
        Assert.Equal("<0xFF>", vocab.Tokens[258]);
        Assert.Equal(["▁a", "a", "▁b"], vocab.Tokens[259..262]);
        Assert.Equal(ModelVocabulary.Byte, vocab.TokenTypes[100]);
        Assert.Equal(ModelVocabulary.Control, vocab.TokenTypes[1]);
        Assert.True(vocab.Scores[300] > vocab.Scores[301]);
        var small = ModelVocabulary.Synthetic(20);
        Assert.Equal("▁a", small.Tokens[3]);
        Assert.Equal(20, small.Tokens.Distinct().Count());
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    public void WrittenModelReadsBackWithItsShape(GgmlType type)
    {
        using var temp = new TempFile();
        SyntheticModelWriter.Write(Tiny, type, seed: 7, temp.Path);
        using var file = GgufFile.Open(temp.Path);

        Assert.Equal(Tiny.Config, LlamaConfigReader.FromGguf(file));
        Assert.Equal(Tiny.ParameterCount, file.Tensors.Sum(t => t.ElementCount));
        Assert.Equal(3 + 2 * 9, file.Tensors.Count);
        Assert.Equal(type, file.Get("blk.1.attn_q.weight").Type);
        Assert.Equal([64L, 32L], file.Get("blk.0.attn_k.weight").Dimensions);
        // ffn_down rows are 96 long: 3 blocks of 32, so they keep the requested type.
        Assert.Equal(type, file.Get("blk.0.ffn_down.weight").Type);
        Assert.Equal(GgmlType.F32, file.Get("output_norm.weight").Type);
        Assert.Equal("llama", file.GetString("tokenizer.ggml.model"));
        Assert.Equal(300, file.Metadata["tokenizer.ggml.tokens"].AsStringArray().Length);
        Assert.Equal(1u, file.GetUInt32("tokenizer.ggml.bos_token_id"));

        var norm = file.Get("blk.0.ffn_norm.weight").AsF32Span();
        Assert.InRange(norm.ToArray().Average(), 0.99, 1.01);
        var q = file.Get("blk.0.attn_q.weight").AsMatrix();
        var values = new float[q.Columns * q.Rows];
        for (int r = 0; r < q.Rows; r++)
            Quantizer.Dequantize(q.Type, q.RowSpan(r), values.AsSpan(r * q.Columns, q.Columns));
        double std = Math.Sqrt(values.Average(v => (double)v * v));
        Assert.InRange(std, 0.017, 0.023);
        Assert.InRange(values.Average(), -0.002, 0.002);
    }

    [Fact]
    public void SameSeedGivesIdenticalBytesAndAnotherSeedDoesNot()
    {
        var a = SyntheticModelWriter.CreateWriter(Tiny, GgmlType.Q8_0, 1).ToArray();
        var b = SyntheticModelWriter.CreateWriter(Tiny, GgmlType.Q8_0, 1).ToArray();
        var c = SyntheticModelWriter.CreateWriter(Tiny, GgmlType.Q8_0, 2).ToArray();
        Assert.Equal(a, b);
        Assert.Equal(a.Length, c.Length);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void MixtureOfExpertsUsesMergedExpertTensors()
    {
        using var temp = new TempFile();
        SyntheticModelWriter.Write(SyntheticModelShape.MixtralMini, GgmlType.Q8_0, seed: 3, temp.Path);
        using var file = GgufFile.Open(temp.Path);
        var config = LlamaConfigReader.FromGguf(file);
        Assert.Equal((8, 2, 1e6f), (config.ExpertCount, config.ExpertUsedCount, config.RopeTheta));
        Assert.Equal(SyntheticModelShape.MixtralMini.ParameterCount, file.Tensors.Sum(t => t.ElementCount));
        Assert.Equal([256L, 512L, 8L], file.Get("blk.3.ffn_gate_exps.weight").Dimensions);
        Assert.Equal([512L, 256L, 8L], file.Get("blk.3.ffn_down_exps.weight").Dimensions);
        Assert.Equal([256L, 512L, 8L], file.Get("blk.3.ffn_up_exps.weight").Dimensions);
        var router = file.Get("blk.0.ffn_gate_inp.weight");
        Assert.Equal((GgmlType.F32, 8), (router.Type, router.AsMatrix().Rows));
        var up = file.Get("blk.0.ffn_up_exps.weight").AsMatrix();
        Assert.Equal((512 * 8, 256), (up.Rows, up.Columns));
        Assert.Equal(512, up.SliceRows(512 * 7, 512).Rows);
        Assert.Null(file.Find("blk.0.ffn_gate.weight"));
    }

    [Fact]
    public void RowsThatDoNotFillBlocksFallBackToF16AndSlidingWindowIsWritten()
    {
        var shape = SyntheticModelShape.Parse("custom:dim=64,ffn=72,layers=1,heads=2,kv=1,vocab=16,ctx=32,window=8");
        var bytes = SyntheticModelWriter.CreateWriter(shape, GgmlType.Q4_0, 5).ToArray();
        using var temp = TempFile.With(bytes);
        using var file = GgufFile.Open(temp.Path);
        Assert.Equal(GgmlType.F16, file.Get("blk.0.ffn_down.weight").Type);
        Assert.Equal(GgmlType.Q4_0, file.Get("blk.0.ffn_up.weight").Type);
        Assert.Equal(8, LlamaConfigReader.FromGguf(file).SlidingWindow);
    }

    [SkippableFact]
    public void RealVocabularyCanBeUsed()
    {
        using var vocabFile = GgufFile.Open(TestModels.Require("ggml-vocab-llama-spm.gguf"));
        var vocab = ModelVocabulary.FromGguf(vocabFile);
        Assert.Equal(32000, vocab.Count);
        var shape = SyntheticModelShape.Parse("custom:dim=32,ffn=32,layers=1,heads=2,vocab=32000,ctx=16");
        using var temp = new TempFile();
        SyntheticModelWriter.Write(shape, GgmlType.F16, 1, temp.Path, vocab);
        using var file = GgufFile.Open(temp.Path);
        Assert.Equal(vocab.Tokens, file.Metadata["tokenizer.ggml.tokens"].AsStringArray());
        Assert.Equal(vocab.Scores, file.Metadata["tokenizer.ggml.scores"].AsFloatArray());
        Assert.Throws<ArgumentException>(() => SyntheticModelWriter.Write(Tiny, GgmlType.F32, 1, temp.Path, vocab));
    }
}
