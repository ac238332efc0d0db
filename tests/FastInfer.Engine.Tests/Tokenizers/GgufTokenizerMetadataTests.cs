using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Tests;
using static FastInfer.Engine.Tests.Tokenizers.SyntheticVocabularies;
using Key = FastInfer.Engine.Tokenizers.GgufTokenizerMetadata;

namespace FastInfer.Engine.Tests.Tokenizers;

public class GgufTokenizerMetadataTests
{
    /// <summary>The metadata of a Llama 2 GGUF, with the collection types a GGUF reader might use.</summary>
    private static Dictionary<string, object> SentencePieceMetadata(SentencePieceVocabulary v) => new()
    {
        [Key.Model] = "llama",
        [Key.Tokens] = v.Tokens.ToList(),
        [Key.Scores] = v.Scores,
        [Key.TokenTypes] = v.TokenTypes.Select(t => (uint)t).ToArray(),
        [Key.BosId] = 1u,
        [Key.EosId] = 2u,
        [Key.UnknownId] = 0u,
        [Key.AddSpacePrefix] = true,
    };

    [SkippableFact]
    public void LlamaModel_FromMetadata_MatchesAllVectors()
    {
        var model = SentencePieceModelFile.ReadVocabulary(File.ReadAllBytes(TestModels.Require("llama2-tokenizer.model")));
        var tokenizer = Assert.IsType<SentencePieceBpeTokenizer>(GgufTokenizerMetadata.Create(SentencePieceMetadata(model)));
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load("ggml-vocab-llama-spm.gguf"));
    }

    [SkippableFact]
    public void Gpt2Model_FromMetadata_MatchesAllVectors()
    {
        var v = Llama3Fixtures.GgufArrays.Value;
        var metadata = new Dictionary<string, object>
        {
            [Key.Model] = "gpt2",
            [Key.Tokens] = v.Tokens,
            [Key.Merges] = v.Merges.ToList(),
            [Key.TokenTypes] = v.TokenTypes.Select(t => (object)(long)t).ToList(),
            [Key.BosId] = 128000u,
            [Key.EosId] = 128001u,
            [Key.PreTokenizer] = "llama-bpe",
            [Key.AddBos] = true,
        };
        var tokenizer = Assert.IsType<ByteLevelBpeTokenizer>(GgufTokenizerMetadata.Create(metadata));
        Assert.True(tokenizer.AddBosByDefault);
        Assert.True(tokenizer.IsEndOfGeneration(128009));
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load("ggml-vocab-llama-bpe.gguf"));
    }

    [Fact]
    public void DefaultsAndEndOfTurn_FollowLlamaCpp()
    {
        var v = SentencePiece(true, ("\u2581", -1), ("a", -1));
        var metadata = SentencePieceMetadata(v);
        metadata.Remove(Key.AddSpacePrefix);
        metadata.Remove(Key.BosId);
        metadata[Key.EndOfTurnId] = 259;
        var tokenizer = GgufTokenizerMetadata.Create(metadata);
        Assert.Equal(1, tokenizer.BosId);
        Assert.True(tokenizer.AddBosByDefault);
        Assert.Equal([2, 259], tokenizer.EndOfGenerationIds.Order());
        Assert.Equal([1, FirstPiece, FirstPiece + 1], tokenizer.Encode("a", addBos: true));
    }

    [Fact]
    public void BadMetadata_NamesTheKey()
    {
        var good = SentencePieceMetadata(SentencePiece(true, ("a", -1)));

        var missing = new Dictionary<string, object>(good);
        missing.Remove(Key.Scores);
        Assert.Contains(Key.Scores, Assert.Throws<FormatException>(() => GgufTokenizerMetadata.Create(missing)).Message);

        var wrongType = new Dictionary<string, object>(good) { [Key.Tokens] = "not an array" };
        Assert.Contains(Key.Tokens, Assert.Throws<FormatException>(() => GgufTokenizerMetadata.Create(wrongType)).Message);

        var badId = new Dictionary<string, object>(good) { [Key.EosId] = 99999u };
        Assert.Contains("EosId", Assert.Throws<FormatException>(() => GgufTokenizerMetadata.Create(badId)).Message);

        var shortScores = new Dictionary<string, object>(good) { [Key.Scores] = new float[3] };
        Assert.Throws<FormatException>(() => GgufTokenizerMetadata.Create(shortScores));

        var otherModel = new Dictionary<string, object>(good) { [Key.Model] = "bert" };
        Assert.Contains("bert", Assert.Throws<NotSupportedException>(() => GgufTokenizerMetadata.Create(otherModel)).Message);
    }
}
