using System.Text.Json;
using FastInfer.Engine;
using FastInfer.Engine.Conversion;
using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Tests;
using FastInfer.TorchOracle.Tests.Models;
using Xunit.Abstractions;

namespace FastInfer.Oracles.Tests.Mixtral;

/// <summary>llama.cpp loads what <c>fastinfer convert</c> writes and computes the same logits as FastInfer on the source.</summary>
public class ConvertedFileTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData(GgmlType.F32, 1e-4)]
    // Q8_0: llama.cpp also quantizes activations to Q8_0 blocks, which moves logits by a few hundredths of their spread.
    [InlineData(GgmlType.Q8_0, 1e-1)]
    public void ConvertedStories260K_RunsInLlamaCpp(GgmlType type, double maxDiffOverStd)
    {
        string directory = TestModels.TempDirectory("convert-oracle");
        try
        {
            string gguf = Path.Combine(directory, "stories260K.gguf");
            GgufConverter.Convert(TestModels.Require("stories260K.bin"), gguf, new ConversionOptions { Type = type, TokenizerPath = TestModels.Require("tok512.bin") });
            using var ours = LlamaModel.Load(gguf, new ModelLoadOptions { Threads = 2, ContextLength = 64 });
            double worst = Compare(gguf, ours.Transformer, [1, 403, 407, 261, 378, 30, 22]);
            output.WriteLine($"stories260K {type}: max |Δlogit| / std = {worst:E2}");
            Assert.True(worst <= maxDiffOverStd, $"max |Δlogit| / std = {worst:E2}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A Mixtral HF folder (half-split RoPE, per-expert tensors) converted to GGUF (interleaved, merged experts) gives llama.cpp the folder's logits.</summary>
    [Fact]
    public void ConvertedHuggingFaceMixtral_GivesLlamaCppTheFoldersLogits()
    {
        var config = new LlamaConfig
        {
            EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2, VocabularySize = 300,
            ContextLength = 128, RmsEpsilon = 1e-5f, RopeTheta = 1e6f, RopeLayout = RopeLayout.HalfSplit, ExpertCount = 4, ExpertUsedCount = 2,
        };
        string directory = TestModels.TempDirectory("convert-oracle");
        try
        {
            string folder = Path.Combine(directory, "hf");
            Directory.CreateDirectory(folder);
            RandomCheckpoint.Write(folder, config, seed: 3);
            WriteTokenizerJson(folder, config.VocabularySize);
            string gguf = Path.Combine(directory, "mixtral.gguf");
            GgufConverter.Convert(folder, gguf);
            using var fromFolder = LlamaModel.Load(folder, new ModelLoadOptions { Threads = 2, ContextLength = 64 });
            double worst = Compare(gguf, fromFolder.Transformer, [1, 17, 230, 5, 99, 42, 7, 150, 3]);
            output.WriteLine($"converted Mixtral: max |Δlogit| / std = {worst:E2}");
            Assert.True(worst <= 1e-4, $"max |Δlogit| / std = {worst:E2}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>llama.cpp on <paramref name="gguf"/> against FastInfer's transformer, token by token; returns the worst max |Δ| / std.</summary>
    private static double Compare(string gguf, LlamaTransformer ours, int[] tokens)
    {
        using var llama = new LlamaCppSession(gguf, contextSize: 64);
        var state = ours.CreateState(64);
        double worst = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            var comparison = LogitComparison.Of(llama.Next(tokens[i]), ours.Forward(state, tokens[i], i));
            worst = Math.Max(worst, comparison.MaxDiffOverStd);
        }
        return worst;
    }

    /// <summary>A SentencePiece-style tokenizer.json over the synthetic vocabulary; no merges, which llama.cpp accepts as plain pieces.</summary>
    private static void WriteTokenizerJson(string folder, int size)
    {
        var vocabulary = ModelVocabulary.Synthetic(size);
        using var stream = File.Create(Path.Combine(folder, "tokenizer.json"));
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WritePropertyName("added_tokens");
        json.WriteStartArray();
        foreach (int id in new[] { 0, 1, 2 })
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", vocabulary.Tokens[id]);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WritePropertyName("model");
        json.WriteStartObject();
        json.WriteString("type", "BPE");
        json.WriteString("unk_token", "<unk>");
        json.WriteBoolean("byte_fallback", true);
        json.WritePropertyName("vocab");
        json.WriteStartObject();
        for (int i = 0; i < size; i++)
            json.WriteNumber(vocabulary.Tokens[i], i);
        json.WriteEndObject();
        json.WritePropertyName("merges");
        json.WriteStartArray();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
