using System.Buffers.Binary;
using System.Text;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tokenizers;

/// <summary>Opens a stand-alone tokenizer file, recognising its format by content rather than by name.</summary>
public static class TokenizerFiles
{
    public const string Accepted =
        "a llama2.c tokenizer.bin (int32 max_token_length, then score/length/bytes records), " +
        "a SentencePiece BPE tokenizer.model (protobuf ModelProto), " +
        "or a tiktoken ranks file such as Llama 3's tokenizer.model ('base64-token rank' lines)";

    public enum Format
    {
        Unknown,
        Llama2cTokenizerBin,
        SentencePieceModel,
        TiktokenRanks,
    }

    public static ITextTokenizer Load(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        return Detect(file) switch
        {
            Format.Llama2cTokenizerBin => new SentencePieceBpeTokenizer(Llama2cTokenizerFile.ReadVocabulary(file)),
            Format.SentencePieceModel => new SentencePieceBpeTokenizer(SentencePieceModelFile.ReadVocabulary(file)),
            Format.TiktokenRanks => TiktokenRanksFile.Create(file),
            _ => throw new FormatException(
                $"'{path}' is not a tokenizer file this loader knows" +
                (file.AsSpan().StartsWith("GGUF"u8) ? " (it is a GGUF model: read its tokenizer.ggml.* metadata instead)" : "") +
                "; accepted: " + Accepted),
        };
    }

    public static Format Detect(ReadOnlySpan<byte> file)
    {
        if (LooksLikeTiktoken(file))
            return Format.TiktokenRanks;
        // A ModelProto opens with field 1 (pieces, length-delimited): tag 0x0A, a non-zero length, then the
        // piece's own field 1 tag. A tokenizer.bin with max_token_length 10 also starts 0x0A but continues 00 00 00.
        if (file.Length >= 4 && file[0] == 0x0A && file[1] != 0 && (file[2] == 0x0A || file[3] == 0x0A))
            return Format.SentencePieceModel;
        if (LooksLikeLlama2c(file))
            return Format.Llama2cTokenizerBin;
        return Format.Unknown;
    }

    private static bool LooksLikeTiktoken(ReadOnlySpan<byte> file)
    {
        int end = file.IndexOf((byte)'\n');
        var line = end < 0 ? file : file[..end];
        int space = line.IndexOf((byte)' ');
        if (space <= 0 || space == line.Length - 1)
            return false;
        foreach (byte b in line[..space])
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/' or (byte)'='))
                return false;
        }
        foreach (byte b in line[(space + 1)..].TrimEnd((byte)'\r'))
        {
            if (!char.IsAsciiDigit((char)b))
                return false;
        }
        return true;
    }

    /// <summary>
    /// The header is a small positive int and the first records are whole, with finite scores and printable UTF-8
    /// pieces; a llama2.c checkpoint (seven int32 hyperparameters, then floats) fails the piece test at once.
    /// </summary>
    private static bool LooksLikeLlama2c(ReadOnlySpan<byte> file)
    {
        if (file.Length < 4)
            return false;
        int maxLength = BinaryPrimitives.ReadInt32LittleEndian(file);
        if (maxLength is <= 0 or > Llama2cTokenizerFile.MaxPieceBytes)
            return false;
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        int offset = 4;
        for (int record = 0; record < 3; record++)
        {
            if (file.Length - offset < 8)
                return false;
            float score = BinaryPrimitives.ReadSingleLittleEndian(file[offset..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(file[(offset + 4)..]);
            offset += 8;
            if (!float.IsFinite(score) || length < 0 || length > maxLength || length > file.Length - offset)
                return false;
            try
            {
                // Control characters other than the newlines around "<s>" never occur in a piece's text.
                if (utf8.GetString(file.Slice(offset, length)).Any(c => char.IsControl(c) && c != '\n'))
                    return false;
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
            offset += length;
        }
        return true;
    }
}
