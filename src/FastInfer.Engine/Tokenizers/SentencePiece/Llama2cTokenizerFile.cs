using System.Buffers.Binary;
using System.Text;

namespace FastInfer.Engine.Tokenizers.SentencePiece;

/// <summary>
/// Reads llama2.c's <c>tokenizer.bin</c>: int32 max_token_length, then until the end of the file one record per
/// token (float32 score, int32 byte length, the piece's bytes), all little-endian. llama2.c writes pieces with real
/// spaces where SentencePiece has ▁, and BOS/EOS as "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n"; ids 0, 1, 2 are unk, BOS, EOS.
/// </summary>
public static class Llama2cTokenizerFile
{
    private const string Kind = "llama2.c tokenizer.bin";

    /// <summary>Longest piece a file may declare; real files use 27 or fewer bytes.</summary>
    public const int MaxPieceBytes = 1 << 16;

    /// <summary>
    /// The file holds no token count, so a file cut at a record boundary looks complete; pass the checkpoint's
    /// <paramref name="vocabularySize"/> (as llama2.c does) to read exactly that many tokens and catch it.
    /// </summary>
    public static SentencePieceBpeTokenizer Load(string path, int? vocabularySize = null) =>
        new(ReadVocabulary(File.ReadAllBytes(path), vocabularySize));

    public static SentencePieceVocabulary ReadVocabulary(ReadOnlySpan<byte> file, int? vocabularySize = null)
    {
        if (vocabularySize is < 3)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "a vocabulary has at least unk, BOS and EOS");
        if (file.Length < 4)
            throw new TokenizerFormatException(Kind, "max_token_length", 0, $"the file has {file.Length} bytes, fewer than its 4-byte header");
        int maxLength = BinaryPrimitives.ReadInt32LittleEndian(file);
        if (maxLength <= 0 || maxLength > MaxPieceBytes)
            throw new TokenizerFormatException(Kind, "max_token_length", 0, $"{maxLength} is not in 1..{MaxPieceBytes}");

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var tokens = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        int offset = 4;
        while (vocabularySize is null ? offset < file.Length : tokens.Count < vocabularySize)
        {
            int index = tokens.Count;
            if (file.Length - offset < 8)
                throw new TokenizerFormatException(Kind, $"token {index} header", offset, $"truncated: {file.Length - offset} bytes left of the 8-byte score and length");
            float score = BinaryPrimitives.ReadSingleLittleEndian(file[offset..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(file[(offset + 4)..]);
            if (!float.IsFinite(score))
                throw new TokenizerFormatException(Kind, $"token {index} score", offset, $"{score} is not a finite number");
            if (length < 0 || length > maxLength)
                throw new TokenizerFormatException(Kind, $"token {index} length", offset + 4, $"{length} is not in 0..max_token_length {maxLength}");
            offset += 8;
            if (file.Length - offset < length)
                throw new TokenizerFormatException(Kind, $"token {index} bytes", offset, $"truncated: {length} bytes declared, {file.Length - offset} left");
            string piece;
            try
            {
                piece = utf8.GetString(file.Slice(offset, length));
            }
            catch (DecoderFallbackException e)
            {
                throw new TokenizerFormatException(Kind, $"token {index} bytes", offset, "not valid UTF-8: " + e.Message);
            }
            offset += length;

            var type = ClassifyPiece(index, piece);
            // Control pieces are stored with surrounding newlines; their vocabulary spelling is the bare tag.
            tokens.Add(type == TokenType.Control ? piece.Trim() : piece.Replace(' ', '\u2581'));
            scores.Add(score);
            types.Add((int)type);
        }
        if (tokens.Count < 3)
            throw new TokenizerFormatException(Kind, "tokens", offset, $"{tokens.Count} tokens; at least unk, BOS and EOS are needed");
        return new SentencePieceVocabulary([.. tokens], [.. scores], [.. types], BosId: 1, EosId: 2, UnknownId: 0);
    }

    private static TokenType ClassifyPiece(int index, string piece) => index switch
    {
        0 => TokenType.Unknown,
        1 or 2 => TokenType.Control,
        _ when SentencePieceBpeTokenizer.TryParseByteToken(piece, out _) => TokenType.Byte,
        _ => TokenType.Normal,
    };
}
