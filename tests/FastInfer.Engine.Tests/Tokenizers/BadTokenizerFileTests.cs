using System.Buffers.Binary;
using System.Text;
using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

public class BadTokenizerFileTests
{
    /// <summary>A llama2.c tokenizer.bin of the given records.</summary>
    private static byte[] TokenizerBin(int maxLength, params (float Score, int Length, byte[] Bytes)[] records)
    {
        var stream = new MemoryStream();
        var writer = new BinaryWriter(stream);
        writer.Write(maxLength);
        foreach (var (score, length, bytes) in records)
        {
            writer.Write(score);
            writer.Write(length);
            writer.Write(bytes);
        }
        return stream.ToArray();
    }

    private static (float, int, byte[]) Piece(string text) => (0f, Encoding.UTF8.GetByteCount(text), Encoding.UTF8.GetBytes(text));

    [Fact]
    public void TokenizerBin_Valid_Reads()
    {
        var vocabulary = Llama2cTokenizerFile.ReadVocabulary(TokenizerBin(8, Piece("<unk>"), Piece("\n<s>\n"), Piece("\n</s>\n"), Piece("<0x41>"), Piece(" hi")));
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x41>", "\u2581hi"], vocabulary.Tokens);
        Assert.Equal([2, 3, 3, 6, 1], vocabulary.TokenTypes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1 << 20)]
    public void TokenizerBin_AbsurdMaxLength_NamesTheHeader(int maxLength)
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizerFile.ReadVocabulary(TokenizerBin(maxLength, Piece("<unk>"))));
        Assert.Equal("max_token_length", e.Field);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void TokenizerBin_NegativeLength_NamesTokenAndOffset()
    {
        var file = TokenizerBin(8, Piece("<unk>"), (0f, -3, []));
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizerFile.ReadVocabulary(file));
        Assert.Equal("token 1 length", e.Field);
        Assert.Equal(4 + 8 + 5 + 4, e.Offset);
        Assert.Contains("-3", e.Message);
    }

    [Fact]
    public void TokenizerBin_LengthAboveMax_IsRejected()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizerFile.ReadVocabulary(TokenizerBin(4, Piece("<unk>"))));
        Assert.Equal("token 0 length", e.Field);
    }

    [Fact]
    public void TokenizerBin_NonFiniteScoreOrBadUtf8_IsRejected()
    {
        Assert.Contains("score", Assert.Throws<TokenizerFormatException>(() =>
            Llama2cTokenizerFile.ReadVocabulary(TokenizerBin(8, (float.NaN, 1, [65])))).Field);
        Assert.Contains("bytes", Assert.Throws<TokenizerFormatException>(() =>
            Llama2cTokenizerFile.ReadVocabulary(TokenizerBin(8, (0f, 2, [0xC3, 0x28])))).Field);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4 + 5)]
    [InlineData(4 + 8 + 3)]
    public void TokenizerBin_Truncated_IsRejected(int keep)
    {
        var file = TokenizerBin(8, Piece("<unk>"), Piece("\n<s>\n"), Piece("\n</s>\n"));
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizerFile.ReadVocabulary(file.AsSpan(0, keep)));
        Assert.Contains("truncated", e.Message + (keep < 4 ? " truncated" : ""));
    }

    [SkippableFact]
    public void RealFiles_TruncatedAnywhere_FailCleanly()
    {
        byte[] bin = File.ReadAllBytes(TestModels.Require("tok512.bin"));
        byte[] model = File.ReadAllBytes(TestModels.Require("llama2-tokenizer.model"));
        foreach (int keep in new[] { 1, 7, 13, 101, bin.Length / 2, bin.Length - 1 })
            Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizerFile.ReadVocabulary(bin.AsSpan(0, keep)));
        // Cut at a record boundary (after token 6) the file looks complete, unless the vocabulary size is known.
        Assert.Equal(7, Llama2cTokenizerFile.ReadVocabulary(bin.AsSpan(0, 100)).Tokens.Length);
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizerFile.ReadVocabulary(bin.AsSpan(0, 100), vocabularySize: 512));
        Assert.Equal((100, "token 7 header"), (e.Offset, e.Field));
        Assert.Equal(512, Llama2cTokenizerFile.ReadVocabulary(bin, vocabularySize: 512).Tokens.Length);
        foreach (int keep in new[] { 1, 2, 17, 1000, model.Length / 2, model.Length - 1 })
            Assert.Throws<TokenizerFormatException>(() => SentencePieceModelFile.ReadVocabulary(model.AsSpan(0, keep)));
    }

    [Fact]
    public void SentencePieceModel_BadWireTypeOrLength_NamesTheOffset()
    {
        // Field 1 with wire type 3 (start group), which SentencePiece never writes.
        var e = Assert.Throws<TokenizerFormatException>(() => SentencePieceModelFile.ReadVocabulary([0x0B, 0x00]));
        Assert.Contains("wire type 3", e.Message);
        // A piece message claiming 100 bytes with 2 left.
        e = Assert.Throws<TokenizerFormatException>(() => SentencePieceModelFile.ReadVocabulary([0x0A, 100, 0x0A, 0x00]));
        Assert.Equal(1, e.Offset);
        // An endless varint.
        Assert.Throws<TokenizerFormatException>(() => SentencePieceModelFile.ReadVocabulary([0x08, .. Enumerable.Repeat((byte)0xFF, 12)]));
    }

    [Fact]
    public void SentencePieceModel_UnigramOrEmpty_IsRejected()
    {
        byte[] piece = [0x0A, 0x05, 0x0A, 0x03, (byte)'<', (byte)'s', (byte)'>'];
        byte[] unigram = [0x12, 0x02, 0x18, 0x01]; // trainer_spec { model_type: UNIGRAM }
        var e = Assert.Throws<TokenizerFormatException>(() => SentencePieceModelFile.ReadVocabulary([.. piece, .. piece, .. piece, .. unigram]));
        Assert.Equal("trainer_spec.model_type", e.Field);
        Assert.Equal("pieces", Assert.Throws<TokenizerFormatException>(() => SentencePieceModelFile.ReadVocabulary(unigram)).Field);
    }

    [Fact]
    public void TiktokenRanks_BadLines_NameLineAndOffset()
    {
        string good = string.Concat(Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}\n"));
        Assert.Equal(256, TiktokenRanksFile.ReadRanks(Encoding.ASCII.GetBytes(good)).Length);

        var e = Assert.Throws<TokenizerFormatException>(() => TiktokenRanksFile.ReadRanks(Encoding.ASCII.GetBytes("IQ== 0\nI!Q 1\n")));
        Assert.Equal("line 2 token", e.Field);
        Assert.Equal(7, e.Offset);
        e = Assert.Throws<TokenizerFormatException>(() => TiktokenRanksFile.ReadRanks(Encoding.ASCII.GetBytes("IQ== 0\nIg== 5\n")));
        Assert.Equal("line 2 rank", e.Field);
        Assert.Throws<TokenizerFormatException>(() => TiktokenRanksFile.ReadRanks(Encoding.ASCII.GetBytes("IQ== zero\n")));
        Assert.Throws<TokenizerFormatException>(() => TiktokenRanksFile.ReadRanks(Encoding.ASCII.GetBytes("IQ== 0\n")));
    }

    [Fact]
    public void UnrecognisedFile_ListsWhatIsAccepted()
    {
        string dir = TestModels.TempDirectory("tokenizer-files");
        try
        {
            string text = Path.Combine(dir, "notes.txt");
            File.WriteAllText(text, "hello, this is not a tokenizer\n");
            var e = Assert.Throws<FormatException>(() => TokenizerFiles.Load(text));
            Assert.Contains("tokenizer.bin", e.Message);
            Assert.Contains("SentencePiece", e.Message);
            Assert.Contains("tiktoken", e.Message);

            string gguf = Path.Combine(dir, "model.bin");
            byte[] header = new byte[16];
            "GGUF"u8.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), 3);
            File.WriteAllBytes(gguf, header);
            Assert.Contains("GGUF", Assert.Throws<FormatException>(() => TokenizerFiles.Load(gguf)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
