using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Tests;
using static FastInfer.Engine.Tests.Tokenizers.SyntheticVocabularies;

namespace FastInfer.Engine.Tests.Tokenizers;

public class StreamDecoderTests
{
    [Fact]
    public void ByteFallbackTokens_AreHeldUntilTheCharacterCompletes()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(true, ("\u2581", -1), ("a", -1)));
        var decoder = tokenizer.CreateStreamDecoder();
        Assert.Equal("", decoder.Append(3 + 0xE2));
        Assert.Equal("", decoder.Append(3 + 0x80));
        Assert.Equal("\u2019", decoder.Append(3 + 0x99));
        Assert.Equal("a", decoder.Append(FirstPiece + 1));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Append_AllocatesNothingButTheReturnedText()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(true, ("\u2581", -1), ("a", -1)));
        var decoder = tokenizer.CreateStreamDecoder();
        int[] ids = [1, 3 + 0xE2, 3 + 0x80, 3 + 0x99]; // BOS, then '’' in three byte tokens
        for (int warmup = 0; warmup < 3; warmup++)
            Assert.Equal("\u2019", string.Concat(ids.Select(decoder.Append)));

        const int rounds = 100;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < rounds; round++)
        {
            foreach (int id in ids)
                decoder.Append(id);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // One one-char string per round (24 bytes on 64-bit); the three tokens printing "" allocate nothing.
        Assert.InRange(allocated, 0, rounds * 32);
    }

    [Fact]
    public void IncompleteCharacter_FlushesAsReplacementChar_LikeWholeDecode()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(false, ("a", -1)));
        int[] ids = [3 + 0xE2, 3 + 0x80, FirstPiece, 3 + 0xE2];
        Assert.Equal(tokenizer.Decode(ids), TokenizerTestVectors.Stream(tokenizer, ids));
        var decoder = tokenizer.CreateStreamDecoder();
        Assert.Equal("", decoder.Append(3 + 0xE2));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void FirstTokenAfterBos_DropsItsLeadingSpace()
    {
        var tokenizer = new SentencePieceBpeTokenizer(SentencePiece(true, ("\u2581", -1), ("a", -1), ("\u2581a", -2)));
        int[] ids = tokenizer.Encode("a a", addBos: true);
        Assert.Equal([1, FirstPiece + 2, FirstPiece + 2], ids);
        var decoder = tokenizer.CreateStreamDecoder();
        Assert.Equal("", decoder.Append(1));
        Assert.Equal("a", decoder.Append(ids[1]));
        Assert.Equal(" a", decoder.Append(ids[2]));
        // A second BOS (a new document in the same stream) again drops the space after it.
        Assert.Equal("", decoder.Append(1));
        Assert.Equal("a", decoder.Append(ids[1]));
        Assert.Equal("a a", tokenizer.Decode(ids));
    }

    [Fact]
    public void ByteLevelTokens_SplitInsideACharacter_AreHeld()
    {
        var tokenizer = new ByteLevelBpeTokenizer(ByteLevel());
        var decoder = tokenizer.CreateStreamDecoder();
        Assert.Equal("", decoder.Append(0xF0));
        Assert.Equal("", decoder.Append(0x9F));
        Assert.Equal("", decoder.Append(0xA6));
        Assert.Equal("\U0001F999", decoder.Append(0x99));
        Assert.Equal(" ", decoder.Append(' '));
        Assert.Equal("", decoder.Append(tokenizer.EosId));
    }

    [SkippableFact]
    public void Llama2_StreamOfAStory_EqualsWholeDecode()
    {
        var tokenizer = Llama2cTokenizerFile.Load(TestModels.Require("llama2c-tokenizer.bin"));
        string text = File.ReadAllText(TestModels.Require("expected/stories260K.run_t0_noprompt.txt")) + " ’ 🦙 ünïcödé";
        int[] ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(text, TokenizerTestVectors.Stream(tokenizer, ids));
    }
}
