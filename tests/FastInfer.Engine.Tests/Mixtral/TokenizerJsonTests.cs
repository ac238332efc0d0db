using System.Text;
using FastInfer.Engine.Tests.Formats.Safetensors;
using FastInfer.Engine.Tests.Tokenizers;
using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.HuggingFace;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Mixtral;

/// <summary>Hugging Face tokenizer.json files read into our tokenizers reproduce llama.cpp's test vectors.</summary>
public class TokenizerJsonTests
{
    private static SentencePieceVocabulary Llama2Model() =>
        SentencePieceModelFile.ReadVocabulary(File.ReadAllBytes(TestModels.Require("llama2-tokenizer.model")));

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void SentencePieceStyleFile_MatchesAllVectors_WithScoresFromMergeRanks(bool modernLayout)
    {
        var spm = Llama2Model();
        string json = TokenizerJsonFixtures.SentencePiece(spm, modernLayout);
        var vocabulary = HuggingFaceTokenizerJson.Parse(Encoding.UTF8.GetBytes(json), new TokenizerSpecialIds(null, null, null, null, null));
        var read = Assert.IsType<SentencePieceVocabulary>(vocabulary.SentencePiece);
        Assert.Equal(spm.Tokens, read.Tokens);
        Assert.Equal(spm.TokenTypes, read.TokenTypes);
        Assert.Equal((1, 2, 0, true), (read.BosId, read.EosId, read.UnknownId, read.AddSpacePrefix));
        // Merge ranks keep the model's score order: a piece SentencePiece merges first still merges first.
        var pieces = Enumerable.Range(0, spm.Tokens.Length)
            .Where(i => spm.Tokens[i].EnumerateRunes().Count() > 1 && (TokenType)spm.TokenTypes[i] == TokenType.Normal)
            .OrderByDescending(i => spm.Scores[i]).ToArray();
        for (int k = 1; k < pieces.Length; k++)
        {
            if (spm.Scores[pieces[k - 1]] > spm.Scores[pieces[k]])
                Assert.True(read.Scores[pieces[k - 1]] > read.Scores[pieces[k]], $"'{spm.Tokens[pieces[k - 1]]}' and '{spm.Tokens[pieces[k]]}' swapped order");
        }
        TokenizerTestVectors.AssertAll(vocabulary.CreateTokenizer(), TokenizerTestVectors.Load("ggml-vocab-llama-spm.gguf"));
    }

    [SkippableFact]
    public void ByteLevelFile_MatchesAllVectors_AndTakesSpecialsFromTheConfigs()
    {
        var arrays = Llama3Fixtures.GgufArrays.Value;
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("tokenizer.json"), TokenizerJsonFixtures.ByteLevel(arrays));
        File.WriteAllText(folder.File("tokenizer_config.json"),
            """{"bos_token": "<|begin_of_text|>", "eos_token": {"content": "<|eot_id|>", "special": true}, "add_bos_token": true, "chat_template": "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>{% endfor %}"}""");
        var vocabulary = HuggingFaceTokenizer.ReadVocabulary(folder.Path);
        var read = Assert.IsType<Engine.Tokenizers.ByteLevel.ByteLevelBpeVocabulary>(vocabulary.ByteLevel);
        Assert.Equal(arrays.Tokens, read.Tokens);
        Assert.Equal(arrays.Merges, read.Merges);
        Assert.Equal(128000, read.BosId);
        Assert.Equal(128009, read.EosId);
        var tokenizer = HuggingFaceTokenizer.Load(folder.Path);
        Assert.Contains(128009, tokenizer.EndOfGenerationIds);
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load("ggml-vocab-llama-bpe.gguf"));
    }

    [SkippableFact]
    public void TokenizerModelInTheFolderWinsOverTokenizerJson()
    {
        using var folder = new TempFolder();
        File.Copy(TestModels.Require("llama2-tokenizer.model"), folder.File("tokenizer.model"));
        File.WriteAllText(folder.File("tokenizer.json"), "not even JSON");
        Assert.Equal(32000, HuggingFaceTokenizer.Load(folder.Path).VocabularySize);
        Assert.NotNull(HuggingFaceTokenizer.ReadVocabulary(folder.Path).SentencePiece);
    }

    [Theory]
    [InlineData("""{"model": {"type": "Unigram", "vocab": []}}""", "Unigram")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": [], "byte_fallback": true}}""", "missing")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"], "byte_fallback": true}}""", "not in the vocabulary")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [7], "byte_fallback": true}}""", "merges[0]")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}""", "non-negative")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""", "without byte_fallback")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"<s>": 0, "</s>": 1}, "merges": [], "byte_fallback": true}, "added_tokens": [{"id": "x"}]}""", "added_tokens[0]")]
    [InlineData("""{"model": 3}""", "model")]
    [InlineData("""{"model": {"type": "BPE"}""", "invalid JSON")]
    public void BadFilesGiveClearErrors(string json, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => HuggingFaceTokenizerJson.Parse(Encoding.UTF8.GetBytes(json), new TokenizerSpecialIds(null, null, null, null, null)));
        Assert.True(error is FormatException or NotSupportedException, error.GetType().Name);
        Assert.Contains(expected, error.Message);
    }
}
