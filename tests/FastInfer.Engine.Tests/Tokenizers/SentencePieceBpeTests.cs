using FastInfer.Engine.Tokenizers.SentencePiece;
using static FastInfer.Engine.Tests.Tokenizers.SyntheticVocabularies;

namespace FastInfer.Engine.Tests.Tokenizers;

public class SentencePieceBpeTests
{
    [Fact]
    public void EqualScores_MergeLeftmostFirst()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(false, ("a", -1), ("aa", -2)));
        Assert.Equal([FirstPiece + 1, FirstPiece], tokenizer.Encode("aaa", addBos: false));
    }

    [Fact]
    public void HigherScore_MergesFirstWhereverItIs()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(false, ("a", -1), ("b", -1), ("c", -1), ("ab", -5), ("bc", -2)));
        Assert.Equal([FirstPiece, FirstPiece + 4], tokenizer.Encode("abc", addBos: false));
    }

    [Fact]
    public void MergesChainThroughLongerPieces()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(true,
            ("\u2581", -1), ("h", -1), ("i", -1), ("hi", -2), ("\u2581hi", -3)));
        Assert.Equal([1, FirstPiece + 4, FirstPiece + 4], tokenizer.Encode("hi hi", addBos: true));
        Assert.Equal("hi hi", tokenizer.Decode(tokenizer.Encode("hi hi", addBos: true)));
    }

    [Fact]
    public void UnknownCharacters_FallBackToByteTokens()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(false, ("a", -1)));
        // 'é' is C3 A9; byte token for byte b has id 3 + b.
        Assert.Equal([3 + 0xC3, 3 + 0xA9, FirstPiece], tokenizer.Encode("éa", addBos: false));
        Assert.Equal("éa", tokenizer.Decode(tokenizer.Encode("éa", addBos: false)));
        // An astral character is one symbol of two chars, four bytes.
        Assert.Equal([3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99], tokenizer.Encode("\U0001F999", addBos: false));
    }

    [Fact]
    public void WithoutByteTokens_UnknownCharactersBecomeUnk()
    {
        var tokenizer = new SentencePieceBpeTokenizer(new SentencePieceVocabulary(
            ["<unk>", "<s>", "</s>", "a"], [0, 0, 0, -1], [2, 3, 3, 1], AddSpacePrefix: false));
        Assert.Equal([3, 0, 0, 3], tokenizer.Encode("aéa", addBos: false));
    }

    [Fact]
    public void EmptyText_GivesNoTokens()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(true, ("\u2581", -1)));
        Assert.Empty(tokenizer.Encode("", addBos: false));
        Assert.Equal([1], tokenizer.Encode("", addBos: true));
    }

    [Fact]
    public void InconsistentArrays_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new SentencePieceBpeTokenizer(
            new SentencePieceVocabulary(["<unk>", "<s>", "</s>"], [0, 0], [2, 3, 3])));
        Assert.Throws<ArgumentException>(() => new SentencePieceBpeTokenizer(
            new SentencePieceVocabulary(["<unk>", "<s>", "</s>"], [0, 0, 0], [2, 3, 9])));
        Assert.Throws<ArgumentException>(() => new SentencePieceBpeTokenizer(
            new SentencePieceVocabulary(["<unk>", "<s>", "</s>"], [0, 0, 0], [2, 3, 3], EosId: 3)));
    }
}
