using FastInfer.Engine.Conversion;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Generation;
using FastInfer.Engine.Models;
using FastInfer.Engine.Sampling;
using FastInfer.Engine.Tests.Formats;
using FastInfer.Engine.Tests.Formats.Safetensors;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Conversion;

/// <summary>fastinfer convert's engine: llama2.c and Hugging Face checkpoints to GGUF.</summary>
public class ConversionTests
{
    [SkippableFact]
    public void Llama2cStories260K_ConvertsToTheTensorsOfLlamaCppsOwnConversion()
    {
        using var folder = new TempFolder();
        string output = folder.File("stories260K.gguf");
        GgufConverter.Convert(TestModels.Require("stories260K.bin"), output, new ConversionOptions { TokenizerPath = TestModels.Require("tok512.bin") });

        using var ours = GgufFile.Open(output);
        using var reference = GgufFile.Open(TestModels.Require("stories260K.gguf"));
        Assert.Equal(reference.Tensors.Select(t => t.Name).Order(), ours.Tensors.Select(t => t.Name).Order());
        foreach (var expected in reference.Tensors)
        {
            var actual = ours.Get(expected.Name);
            Assert.Equal(expected.Type, actual.Type);
            Assert.Equal(expected.Dimensions, actual.Dimensions);
            Assert.True(TensorBytes.Of(expected).AsSpan().SequenceEqual(TensorBytes.Of(actual)), $"tensor '{expected.Name}' differs");
        }
        foreach (var key in new[] { "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type" })
            Assert.Equal(reference.Metadata[key].RawValue, ours.Metadata[key].RawValue);
        Assert.Equal(LlamaConfigReader.FromGguf(reference) with { ContextLength = 0 }, LlamaConfigReader.FromGguf(ours) with { ContextLength = 0 });

        using var model = LlamaModel.Load(output, new ModelLoadOptions { Threads = 2 });
        using var session = model.CreateSession();
        string text = string.Concat(session.Generate("", new GenerationSettings { MaxTokens = 256, Sampling = SamplingSettings.Greedy }));
        Assert.Equal(File.ReadAllText(TestModels.Require(Path.Combine("expected", "stories260K.run_t0_noprompt.txt"))).TrimEnd('\n'), text);
    }

    public static TheoryData<string> Architectures => new() { "llama", "mistral", "mixtral" };

    private static LlamaConfig ConfigOf(string architecture) => architecture switch
    {
        "llama" => HuggingFaceFolders.Llama,
        "mistral" => HuggingFaceFolders.Mistral,
        _ => HuggingFaceFolders.Mixtral,
    };

    /// <summary>F32 conversion changes only the layout (q/k rows, RoPE pairing, merged experts): logits agree to rounding.</summary>
    [Theory]
    [MemberData(nameof(Architectures))]
    public void HuggingFaceFolder_F32Gguf_GivesTheFoldersLogits(string architecture)
    {
        var config = ConfigOf(architecture);
        using var folder = new TempFolder();
        string hf = Path.Combine(folder.Path, "hf");
        Directory.CreateDirectory(hf);
        HuggingFaceFolders.Write(hf, config, seed: 21);
        string gguf = folder.File("model.gguf");
        GgufConverter.Convert(hf, gguf);

        using var fromFolder = LlamaModel.Load(hf, new ModelLoadOptions { Threads = 2 });
        using var fromGguf = LlamaModel.Load(gguf, new ModelLoadOptions { Threads = 2 });
        Assert.Equal(ModelFileFormat.HuggingFace, fromFolder.Format);
        Assert.Equal(RopeLayout.HalfSplit, fromFolder.Config.RopeLayout);
        Assert.Equal(RopeLayout.Interleaved, fromGguf.Config.RopeLayout);
        Assert.Equal(fromFolder.Config with { RopeLayout = RopeLayout.Interleaved, RopeDimensions = config.HeadDimension }, fromGguf.Config);
        if (config.IsMixtureOfExperts)
        {
            using var file = GgufFile.Open(gguf);
            Assert.Equal([64, 64, 4], file.Get("blk.0.ffn_gate_exps.weight").Dimensions);
            Assert.Equal(GgmlType.F32, file.Get("blk.0.ffn_gate_inp.weight").Type);
        }

        int[] tokens = [1, 17, 230, 5, 99, 42, 7, 150, 3, 260, 11, 12];
        var a = fromFolder.Transformer.CreateState(32);
        var b = fromGguf.Transformer.CreateState(32);
        double worst = 0;
        for (int i = 0; i < tokens.Length; i++)
            worst = Math.Max(worst, Logits.MaxRelativeError(fromGguf.Transformer.Forward(b, tokens[i], i), fromFolder.Transformer.Forward(a, tokens[i], i)));
        Assert.True(worst <= 1e-5, $"max relative error {worst:E2}");

        // The tokenizer travels with the weights.
        Assert.Equal(fromFolder.Tokenizer.Encode("▁ab ba", addBos: true), fromGguf.Tokenizer.Encode("▁ab ba", addBos: true));
        Assert.Equal(Generate(fromFolder), Generate(fromGguf));
    }

    [Theory]
    [InlineData(GgmlType.F16, 2e-3)]
    [InlineData(GgmlType.Q8_0, 2e-2)]
    // 4-bit weights move this small random model's logits by about a tenth of their range; a wrong layout moves them by all of it.
    [InlineData(GgmlType.Q4_0, 0.2)]
    [InlineData(GgmlType.Q4_K, 0.2)]
    [InlineData(GgmlType.Q4_1, 0.2)]
    [InlineData(GgmlType.BF16, 5e-3)]
    [InlineData(GgmlType.Q5_0, 0.1)]
    [InlineData(GgmlType.Q5_1, 0.1)]
    [InlineData(GgmlType.Q5_K, 0.1)]
    [InlineData(GgmlType.Q6_K, 0.05)]
    [InlineData(GgmlType.Q3_K, 0.4)]
    // 2.6 bits a weight move them by more than half their range here (0.58), still short of a wrong layout.
    [InlineData(GgmlType.Q2_K, 0.8)]
    public void QuantizedConversions_StayCloseToTheFolder(GgmlType type, double tolerance)
    {
        using var folder = new TempFolder();
        string hf = Path.Combine(folder.Path, "hf");
        Directory.CreateDirectory(hf);
        var config = HuggingFaceFolders.Mixtral with { EmbeddingLength = 256, HeadCount = 8, KvHeadCount = 4, FeedForwardLength = 256 };
        HuggingFaceFolders.Write(hf, config, seed: 3);
        string gguf = folder.File("model.gguf");
        GgufConverter.Convert(hf, gguf, new ConversionOptions { Type = type });
        using (var file = GgufFile.Open(gguf))
        {
            Assert.Equal(type, file.Get("blk.1.attn_q.weight").Type);
            Assert.Equal(type, file.Get("blk.1.ffn_down_exps.weight").Type);
            Assert.Equal(GgmlType.F32, file.Get("blk.1.ffn_norm.weight").Type);
            Assert.Equal(GgmlType.F32, file.Get("blk.1.ffn_gate_inp.weight").Type);
        }
        using var fromFolder = LlamaModel.Load(hf, new ModelLoadOptions { Threads = 2 });
        using var fromGguf = LlamaModel.Load(gguf, new ModelLoadOptions { Threads = 2 });
        var a = fromFolder.Transformer.CreateState(8);
        var b = fromGguf.Transformer.CreateState(8);
        double worst = 0;
        for (int i = 0; i < 4; i++)
            worst = Math.Max(worst, Logits.MaxRelativeError(fromGguf.Transformer.Forward(b, 10 + i, i), fromFolder.Transformer.Forward(a, 10 + i, i)));
        Assert.True(worst <= tolerance, $"{type}: max relative error {worst:E2}");
    }

    [Fact]
    public void RotaryPermutationPairsEachHalfWithItsPartner()
    {
        // Head of 8: GGUF rows (0,1) are HF rows (0,4), (2,3) are (1,5), … and the next head starts at 8.
        Assert.Equal([0, 4, 1, 5, 2, 6, 3, 7, 8, 12], Enumerable.Range(0, 10).Select(r => RotaryPermutation.SourceRow(r, 8)).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => RotaryPermutation.SourceRow(0, 7));
    }

    [SkippableFact]
    public void BadInputsAreClearErrors()
    {
        using var folder = new TempFolder();
        var gguf = Assert.Throws<NotSupportedException>(() => GgufConverter.Convert(TestModels.Require("stories260K.gguf"), folder.File("x.gguf")));
        Assert.Contains("already GGUF", gguf.Message);
        var noTokenizer = Assert.Throws<ArgumentException>(() => GgufConverter.Convert(TestModels.Require("stories260K.bin"), folder.File("x.gguf")));
        Assert.Contains("tokenizer", noTokenizer.Message);
        Assert.Throws<FileNotFoundException>(() => GgufConverter.Convert(folder.File("missing"), folder.File("x.gguf")));
        var type = Assert.Throws<NotSupportedException>(() => GgufConverter.Convert(TestModels.Require("stories260K.bin"), folder.File("x.gguf"),
            new ConversionOptions { Type = GgmlType.IQ4_NL, TokenizerPath = TestModels.Require("tok512.bin") }));
        Assert.Contains("IQ4_NL", type.Message);
        string hf = Path.Combine(folder.Path, "hf");
        Directory.CreateDirectory(hf);
        HuggingFaceFolders.Write(hf, HuggingFaceFolders.Llama, seed: 1);
        File.Delete(Path.Combine(hf, "tokenizer.json"));
        Assert.Throws<FileNotFoundException>(() => GgufConverter.Convert(hf, folder.File("x.gguf")));
        Assert.False(File.Exists(folder.File("x.gguf")));
    }

    private static string Generate(LlamaModel model)
    {
        using var session = model.CreateSession();
        return string.Concat(session.Generate("ab", new GenerationSettings { MaxTokens = 20, Sampling = SamplingSettings.Greedy }));
    }
}
