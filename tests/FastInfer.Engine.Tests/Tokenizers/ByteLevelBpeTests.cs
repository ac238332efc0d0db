using FastInfer.Engine.Tokenizers.ByteLevel;
using static FastInfer.Engine.Tests.Tokenizers.SyntheticVocabularies;

namespace FastInfer.Engine.Tests.Tokenizers;

public class ByteLevelBpeTests
{
    [Fact]
    public void LowerMergeRank_WinsWhereverItIs()
    {
        var abFirst = new ByteLevelBpeTokenizer(ByteLevel("a b", "b c"));
        Assert.Equal([256, 'c'], abFirst.Encode("abc", addBos: false));
        var bcFirst = new ByteLevelBpeTokenizer(ByteLevel("b c", "a b"));
        Assert.Equal(['a', 256], bcFirst.Encode("abc", addBos: false));
    }

    [Fact]
    public void PreTokenizer_KeepsMergesInsideWords()
    {
        // "a b" cannot merge across the word boundary; " b" (Ġb) is its own word piece.
        var tokenizer = new ByteLevelBpeTokenizer(ByteLevel("a b", "Ġ b"));
        Assert.Equal(['a', 257], tokenizer.Encode("a b", addBos: false));
    }

    [Fact]
    public void WholeWordTokens_AreTakenWithoutMerges()
    {
        var vocabulary = ByteLevel("a b");
        vocabulary = vocabulary with
        {
            Tokens = [.. vocabulary.Tokens[..^1], "abc", "<|end|>"],
            TokenTypes = [.. vocabulary.TokenTypes[..^1], 1, 3],
            BosId = vocabulary.Tokens.Length,
            EosId = vocabulary.Tokens.Length,
        };
        var tokenizer = new ByteLevelBpeTokenizer(vocabulary);
        Assert.Equal([257], tokenizer.Encode("abc", addBos: false));
    }

    [Fact]
    public void MultiByteCharacters_RoundTripThroughByteTokens()
    {
        var tokenizer = new ByteLevelBpeTokenizer(ByteLevel());
        int[] ids = tokenizer.Encode("é\U0001F999", addBos: false);
        Assert.Equal([0xC3, 0xA9, 0xF0, 0x9F, 0xA6, 0x99], ids);
        Assert.Equal("é\U0001F999", tokenizer.Decode(ids));
    }

    [Fact]
    public void BadArrays_AreRejected()
    {
        var good = ByteLevel("a b");
        Assert.Throws<ArgumentException>(() => new ByteLevelBpeTokenizer(good with { Merges = ["ab"] }));
        Assert.Throws<ArgumentException>(() => new ByteLevelBpeTokenizer(good with { Merges = ["a x y"] }));
        Assert.Throws<ArgumentException>(() => new ByteLevelBpeTokenizer(good with { Merges = ["b a"] }));
        Assert.Throws<ArgumentException>(() => new ByteLevelBpeTokenizer(good with { TokenTypes = [1, 2] }));
        Assert.Throws<ArgumentException>(() => new ByteLevelBpeTokenizer(good with { Tokens = good.Tokens[1..], TokenTypes = good.TokenTypes[1..], BosId = 0, EosId = 0 }));
        Assert.Throws<NotSupportedException>(() => new ByteLevelBpeTokenizer(good with { PreTokenizer = "qwen2" }));
    }
}
