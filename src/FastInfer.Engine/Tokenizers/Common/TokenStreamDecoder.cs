using System.Text;

namespace FastInfer.Engine.Tokenizers.Common;

/// <summary>
/// Streams token pieces through a stateful UTF-8 decoder, which holds back an incomplete character until its
/// remaining bytes arrive; the char buffer is sized once for the longest piece, so a token costs only its string.
/// </summary>
internal sealed class TokenStreamDecoder : ITokenStreamDecoder
{
    private readonly VocabularyTokenizer _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly char[] _chars;
    private bool _atStart = true;

    public TokenStreamDecoder(VocabularyTokenizer tokenizer, int maxPieceBytes)
    {
        _tokenizer = tokenizer;
        // Up to 3 held-back bytes of the previous piece can complete into chars alongside this piece's own.
        _chars = new char[maxPieceBytes + 4];
    }

    public string Append(int id)
    {
        var piece = _tokenizer.PrintedBytes(id, ref _atStart);
        int count = _utf8.GetChars(piece, _chars, flush: false);
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }

    public string Flush()
    {
        int count = _utf8.GetChars([], _chars, flush: true);
        _atStart = true;
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }
}
