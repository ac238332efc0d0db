using System.Buffers;
using System.Text;
using FastInfer.Engine.Tokenizers.Common;

namespace FastInfer.Engine.Tokenizers;

/// <summary>
/// What every vocabulary-driven tokenizer shares: special-token splitting around the text fragments the
/// subclass encodes, and decoding through per-token byte pieces (whole or streamed, with identical results).
/// </summary>
public abstract class VocabularyTokenizer : ITextTokenizer
{
    private readonly string[] _tokens;
    private readonly TokenPieces _pieces;
    private readonly SpecialTokenMatcher _alwaysParsed;
    private readonly SpecialTokenMatcher _parsedOnRequest;
    private readonly bool _stripSpaceAtStart;

    private protected VocabularyTokenizer(
        string[] tokens, TokenPieces pieces, int bosId, int eosId, bool addBosByDefault,
        IReadOnlySet<int> endOfGenerationIds, SpecialTokenMatcher alwaysParsed, SpecialTokenMatcher parsedOnRequest,
        bool stripSpaceAtStart)
    {
        _tokens = tokens;
        _pieces = pieces;
        BosId = bosId;
        EosId = eosId;
        AddBosByDefault = addBosByDefault;
        EndOfGenerationIds = endOfGenerationIds;
        _alwaysParsed = alwaysParsed;
        _parsedOnRequest = parsedOnRequest;
        _stripSpaceAtStart = stripSpaceAtStart;
    }

    public int VocabularySize => _tokens.Length;

    public int BosId { get; }

    public int EosId { get; }

    public bool AddBosByDefault { get; }

    public IReadOnlySet<int> EndOfGenerationIds { get; }

    public bool IsEndOfGeneration(int id) => EndOfGenerationIds.Contains(id);

    public int[] Encode(string text, bool addBos) => Encode(text, addBos, parseSpecialTokens: false);

    public int[] Encode(string text, bool addBos, bool parseSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        if (addBos)
            output.Add(BosId);

        var specials = parseSpecialTokens ? _parsedOnRequest : _alwaysParsed;
        var span = text.AsSpan();
        bool afterSpecial = true; // the start of the text counts as following a special token
        int fragmentStart = 0;
        if (!specials.IsEmpty)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (!specials.TryMatchAt(span[i..], out int length, out int id))
                    continue;
                if (i > fragmentStart)
                    EncodeText(span[fragmentStart..i], afterSpecial, output);
                output.Add(id);
                afterSpecial = true;
                i += length - 1;
                fragmentStart = i + 1;
            }
        }
        if (span.Length > fragmentStart)
            EncodeText(span[fragmentStart..], afterSpecial, output);
        return [.. output];
    }

    /// <summary>Encodes plain text holding no special tokens; <paramref name="startsAfterSpecial"/> is true at the start of the input too.</summary>
    private protected abstract void EncodeText(ReadOnlySpan<char> text, bool startsAfterSpecial, List<int> output);

    public string TokenText(int id) => _tokens[CheckId(id)];

    public string Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        bool atStart = true;
        foreach (int id in ids)
            total += PrintedBytes(id, ref atStart).Length;

        byte[]? rented = null;
        Span<byte> buffer = total <= 1024 ? stackalloc byte[total] : (rented = ArrayPool<byte>.Shared.Rent(total));
        int written = 0;
        atStart = true;
        foreach (int id in ids)
        {
            var piece = PrintedBytes(id, ref atStart);
            piece.CopyTo(buffer[written..]);
            written += piece.Length;
        }
        string text = Encoding.UTF8.GetString(buffer[..written]);
        if (rented != null)
            ArrayPool<byte>.Shared.Return(rented);
        return text;
    }

    public ITokenStreamDecoder CreateStreamDecoder() => new TokenStreamDecoder(this, _pieces.MaxLength);

    /// <summary>
    /// The bytes token <paramref name="id"/> prints. SentencePiece vocabularies that add a space prefix drop the
    /// leading space of the first token of the text and of the token right after BOS, as llama.cpp and llama2.c print.
    /// </summary>
    internal ReadOnlySpan<byte> PrintedBytes(int id, ref bool atStart)
    {
        var piece = _pieces[CheckId(id)];
        if (_stripSpaceAtStart && atStart && piece.Length > 0 && piece[0] == (byte)' ')
            piece = piece[1..];
        atStart = id == BosId;
        return piece;
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_tokens.Length}");
        return id;
    }
}
