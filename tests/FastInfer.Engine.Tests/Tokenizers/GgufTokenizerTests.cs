using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>Tokenizers built from a GGUF file's tokenizer.ggml.* metadata.</summary>
public class GgufTokenizerTests
{
    [SkippableFact]
    public void LlamaSentencePieceVocabularyFile_MatchesAllVectors()
    {
        using var gguf = GgufFile.Open(TestModels.Require("ggml-vocab-llama-spm.gguf"));
        var tokenizer = GgufTokenizer.FromMetadata(gguf);
        Assert.Equal(32000, tokenizer.VocabularySize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load("ggml-vocab-llama-spm.gguf"));
    }

    [SkippableFact]
    public void Gpt2VocabularyWrittenToGguf_MatchesLlama3Vectors()
    {
        var ranks = TiktokenRanksFile.ReadRanks(File.ReadAllBytes(TestModels.Require("llama3-tokenizer.model")));
        var arrays = TiktokenToGgufArrays.Convert(ranks);
        var writer = new GgufWriter()
            .SetMetadata("general.architecture", GgufValue.Of("llama"))
            .SetMetadata("tokenizer.ggml.model", GgufValue.Of("gpt2"))
            .SetMetadata("tokenizer.ggml.pre", GgufValue.Of("llama-bpe"))
            .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(arrays.Tokens))
            .SetMetadata("tokenizer.ggml.token_type", GgufValue.Of(arrays.TokenTypes))
            .SetMetadata("tokenizer.ggml.merges", GgufValue.Of(arrays.Merges))
            .SetMetadata("tokenizer.ggml.bos_token_id", GgufValue.Of(128000u))
            .SetMetadata("tokenizer.ggml.eos_token_id", GgufValue.Of(128009u));
        var folder = TestModels.TempDirectory("gpt2-vocab");
        try
        {
            string path = Path.Combine(folder, "llama3-vocab.gguf");
            writer.Write(path);
            using var gguf = GgufFile.Open(path);
            var tokenizer = GgufTokenizer.FromMetadata(gguf);
            Assert.Equal(128256, tokenizer.VocabularySize);
            Assert.True(tokenizer.IsEndOfGeneration(128009)); // <|eot_id|> ends a chat turn
            TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load("ggml-vocab-llama-bpe.gguf"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void MissingOrUnknownTokenizerMetadataIsAFormatError()
    {
        var folder = TestModels.TempDirectory("bad-vocab");
        try
        {
            string Write(string name, GgufWriter w) { var p = Path.Combine(folder, name); w.Write(p); return p; }
            var none = Write("none.gguf", new GgufWriter().SetMetadata("general.architecture", GgufValue.Of("llama")));
            var unknown = Write("unknown.gguf", new GgufWriter().SetMetadata("tokenizer.ggml.model", GgufValue.Of("bert"))
                .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(new[] { "a" })));
            var noScores = Write("noscores.gguf", new GgufWriter().SetMetadata("tokenizer.ggml.model", GgufValue.Of("llama"))
                .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(new[] { "<unk>", "<s>", "</s>" })));
            var badTypes = Write("badtypes.gguf", new GgufWriter().SetMetadata("tokenizer.ggml.model", GgufValue.Of("llama"))
                .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(new[] { "<unk>", "<s>", "</s>" }))
                .SetMetadata("tokenizer.ggml.scores", GgufValue.Of(new[] { 0f, 0f }))
                .SetMetadata("tokenizer.ggml.token_type", GgufValue.Of(new[] { 2, 3, 3 })));

            using (var f = GgufFile.Open(none))
                Assert.Contains("tokenizer.ggml.model", Assert.ThrowsAny<FormatException>(() => GgufTokenizer.FromMetadata(f)).Message);
            using (var f = GgufFile.Open(unknown))
                Assert.Contains("bert", Assert.Throws<NotSupportedException>(() => GgufTokenizer.FromMetadata(f)).Message);
            using (var f = GgufFile.Open(noScores))
                Assert.Contains("tokenizer.ggml.scores", Assert.ThrowsAny<FormatException>(() => GgufTokenizer.FromMetadata(f)).Message);
            using (var f = GgufFile.Open(badTypes))
                Assert.Contains("scores", Assert.ThrowsAny<FormatException>(() => GgufTokenizer.FromMetadata(f)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
