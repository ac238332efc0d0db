using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>Llama 3's byte-level BPE against llama.cpp's 46 ggml-vocab-llama-bpe vectors, from both sources.</summary>
public class Llama3VectorTests
{
    private const string Vectors = "ggml-vocab-llama-bpe.gguf";

    private static readonly Lazy<ByteLevelBpeTokenizer> s_fromTiktoken = Llama3Fixtures.FromTiktoken;
    private static readonly Lazy<ByteLevelBpeVocabulary> s_ggufArrays = Llama3Fixtures.GgufArrays;
    private static readonly Lazy<ByteLevelBpeTokenizer> s_fromArrays = Llama3Fixtures.FromArrays;

    [SkippableFact]
    public void TiktokenFile_MatchesAllVectors()
    {
        var tokenizer = s_fromTiktoken.Value;
        Assert.Equal(128256, tokenizer.VocabularySize);
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load(Vectors));
    }

    [SkippableFact]
    public void TiktokenFile_WithOurMergeLoopForEveryWord_MatchesAllVectors()
    {
        var tokenizer = TiktokenRanksFile.Create(File.ReadAllBytes(TestModels.Require("llama3-tokenizer.model")), longWordChars: 0);
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load(Vectors));
    }

    [SkippableFact]
    public void GgufArrays_MatchAllVectors()
    {
        var tokenizer = s_fromArrays.Value;
        Assert.Equal(128256, tokenizer.VocabularySize);
        Assert.Equal(280147, s_ggufArrays.Value.Merges.Length); // as in Meta-Llama-3 GGUFs
        TokenizerTestVectors.AssertAll(tokenizer, TokenizerTestVectors.Load(Vectors));
    }

    [SkippableFact]
    public void BothConstructions_AgreeOnTokensAndOnOtherText()
    {
        var tiktoken = s_fromTiktoken.Value;
        var arrays = s_fromArrays.Value;
        for (int id = 0; id < tiktoken.VocabularySize; id += 97)
            Assert.Equal(tiktoken.TokenText(id), arrays.TokenText(id));
        // The other vocabulary's inputs are fresh text for this one.
        foreach (var (input, _) in TokenizerTestVectors.Load("ggml-vocab-llama-spm.gguf"))
        {
            string text = input + " <|eot_id|> déjà-vu 12345 \u00e9\u0301 \U0001F999!";
            Assert.Equal(tiktoken.Encode(text, addBos: true), arrays.Encode(text, addBos: true));
            Assert.Equal(tiktoken.Encode(text, addBos: false, parseSpecialTokens: true), arrays.Encode(text, addBos: false, parseSpecialTokens: true));
        }
    }

    /// <summary>Words longer than <see cref="TiktokenEncoder.LongWordChars"/> take our merge loop instead of the ML one.</summary>
    [SkippableFact]
    public void LongWords_AgreeWithMicrosoftTiktokenAndWithMergeArrays()
    {
        using var stream = File.OpenRead(TestModels.Require("llama3-tokenizer.model"));
        var ml = Microsoft.ML.Tokenizers.TiktokenTokenizer.Create(stream,
            new Microsoft.ML.Tokenizers.RegexPreTokenizer(Llama3PreTokenizer.Regex(), null), normalizer: null);
        string[] texts =
        [
            new string('!', 600),
            new string(' ', 300) + "x" + new string('\n', 200),
            string.Concat(Enumerable.Repeat("ab", 200)) + " " + string.Concat(Enumerable.Repeat("Anticonstitutionnellement", 9)),
            string.Concat(Enumerable.Repeat("\U0001F999\u2019", 70)),
            string.Concat(Enumerable.Repeat("----====", 40)),
        ];
        foreach (string text in texts)
        {
            Assert.Contains(Llama3PreTokenizer.Regex().Matches(text), m => m.Length > TiktokenEncoder.LongWordChars);
            int[] ours = s_fromTiktoken.Value.Encode(text, addBos: false);
            Assert.Equal(ml.EncodeToIds(text), ours);
            Assert.Equal(ours, s_fromArrays.Value.Encode(text, addBos: false));
            Assert.Equal(text, s_fromTiktoken.Value.Decode(ours));
        }
    }

    [SkippableFact]
    public void SpecialTokens_HaveLlama3Ids()
    {
        var tokenizer = s_fromTiktoken.Value;
        Assert.Equal((128000, 128001), (tokenizer.BosId, tokenizer.EosId));
        Assert.Equal("<|start_header_id|>", tokenizer.TokenText(128006));
        Assert.Equal("<|end_header_id|>", tokenizer.TokenText(128007));
        Assert.Equal("<|eot_id|>", tokenizer.TokenText(128009));
        Assert.Equal("<|reserved_special_token_5|>", tokenizer.TokenText(128010));
        Assert.Equal("<|reserved_special_token_250|>", tokenizer.TokenText(128255));
        Assert.True(tokenizer.IsEndOfGeneration(128009));
        Assert.True(tokenizer.IsEndOfGeneration(128001));
        Assert.False(tokenizer.IsEndOfGeneration(128000));
        // The arrays path finds the same end-of-generation tokens by their spelling.
        Assert.Equal(tokenizer.EndOfGenerationIds.Order(), s_fromArrays.Value.EndOfGenerationIds.Order());
    }

    [SkippableFact]
    public void ParseSpecialTokens_OnlyWhenAsked()
    {
        var tokenizer = s_fromTiktoken.Value;
        const string text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        int[] parsed = tokenizer.Encode(text, addBos: true, parseSpecialTokens: true);
        Assert.Equal(128000, parsed[0]);
        Assert.Equal(128006, parsed[1]);
        Assert.Equal(128009, parsed[^1]);
        Assert.Contains(128007, parsed);
        int[] plain = tokenizer.Encode(text, addBos: false);
        Assert.All(plain, id => Assert.True(id < 128000));
        Assert.Equal(text, tokenizer.Decode(plain));
        // Control tokens print nothing.
        Assert.Equal("user\n\nHi", tokenizer.Decode(parsed));
    }
}
