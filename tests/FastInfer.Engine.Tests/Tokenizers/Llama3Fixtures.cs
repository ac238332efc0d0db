using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>The Llama 3 tokenizers, built once per test run: loading 128k tokens and 280k merges is the slow part.</summary>
public static class Llama3Fixtures
{
    public static Lazy<ByteLevelBpeTokenizer> FromTiktoken { get; } =
        new(() => TiktokenRanksFile.Load(TestModels.Require("llama3-tokenizer.model")));

    /// <summary>What a GGUF converted from Llama 3 holds: GPT-2-spelled tokens, merges, token types.</summary>
    public static Lazy<ByteLevelBpeVocabulary> GgufArrays { get; } = new(() =>
        TiktokenToGgufArrays.Convert(TiktokenRanksFile.ReadRanks(File.ReadAllBytes(TestModels.Require("llama3-tokenizer.model")))));

    public static Lazy<ByteLevelBpeTokenizer> FromArrays { get; } = new(() => new ByteLevelBpeTokenizer(GgufArrays.Value));
}
