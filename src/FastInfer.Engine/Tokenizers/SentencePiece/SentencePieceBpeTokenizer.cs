using System.Globalization;
using System.Text;
using FastInfer.Engine.Tokenizers.Common;

namespace FastInfer.Engine.Tokenizers.SentencePiece;

/// <summary>
/// Llama 2's SentencePiece BPE, as llama.cpp's <c>llm_tokenizer_spm</c> runs it: spaces become ▁, a ▁ is prefixed,
/// the text is split into characters, and the adjacent pair whose merged piece has the highest score is merged
/// (leftmost on ties) until no pair is in the vocabulary; characters the vocabulary lacks fall back to
/// <c>&lt;0xNN&gt;</c> byte tokens.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c> reads a <c>tokenizer.model</c> but breaks score ties differently:
/// it gives 44 of llama.cpp's 46 test vectors (runs such as "!!!!!!" and "------=======" come out in another
/// order), it cannot be built from GGUF arrays or llama2.c's tokenizer.bin, and it has no byte-exact pieces for
/// streaming. So every SentencePiece source goes through this class.
/// </remarks>
public sealed class SentencePieceBpeTokenizer : VocabularyTokenizer
{
    private const char SpaceMark = '\u2581';

    private readonly Dictionary<string, int> _mergeable;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeableLookup;
    private readonly float[] _scores;
    private readonly int[] _byteTokens;
    private readonly int _unknownId;
    private readonly bool _addSpacePrefix;

    public SentencePieceBpeTokenizer(SentencePieceVocabulary vocabulary)
        : this(Prepare(vocabulary), vocabulary)
    {
    }

    private SentencePieceBpeTokenizer(TokenPieces pieces, SentencePieceVocabulary v)
        : base(v.Tokens, pieces, v.BosId, v.EosId, v.AddBos, EndOfGeneration(v),
            Specials(v, TokenType.UserDefined), Specials(v, TokenType.UserDefined, TokenType.Control, TokenType.Unknown),
            stripSpaceAtStart: v.AddSpacePrefix)
    {
        Vocabulary = v;
        _scores = v.Scores;
        _unknownId = v.UnknownId;
        _addSpacePrefix = v.AddSpacePrefix;

        // As in SentencePiece, only normal and user-defined pieces take part in merges: control, unknown,
        // byte and unused pieces are never produced by spelling them out in text.
        _mergeable = new Dictionary<string, int>(v.Tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < v.Tokens.Length; i++)
        {
            var type = (TokenType)v.TokenTypes[i];
            if (type is TokenType.Normal or TokenType.UserDefined)
                _mergeable[v.Tokens[i]] = i;
        }
        _mergeableLookup = _mergeable.GetAlternateLookup<ReadOnlySpan<char>>();

        _byteTokens = new int[256];
        Array.Fill(_byteTokens, -1);
        for (int i = 0; i < v.Tokens.Length; i++)
        {
            if ((TokenType)v.TokenTypes[i] == TokenType.Byte && TryParseByteToken(v.Tokens[i], out byte b))
                _byteTokens[b] = i;
        }
    }

    public SentencePieceVocabulary Vocabulary { get; }

    /// <summary>The byte a <c>&lt;0xNN&gt;</c> piece stands for.</summary>
    public static bool TryParseByteToken(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, bool startsAfterSpecial, List<int> output)
    {
        bool prefix = _addSpacePrefix && startsAfterSpecial;
        var word = new char[text.Length + (prefix ? 1 : 0)];
        int n = 0;
        if (prefix)
            word[n++] = SpaceMark;
        foreach (char c in text)
            word[n++] = c == ' ' ? SpaceMark : c;

        // One symbol per code point, as llama.cpp splits UTF-8 characters.
        var symbols = new MergeSymbol[word.Length];
        int count = 0;
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            int id = _mergeableLookup.TryGetValue(word.AsSpan(i, length), out int found) ? found : -1;
            symbols[count++] = new MergeSymbol { Start = i, Length = length, Id = id };
            i += length;
        }
        var chain = symbols.AsSpan(0, count);
        PairMerger.Link(chain);
        PairMerger.Merge(word, chain, new ScoreRanker(_mergeableLookup, _scores));

        Span<byte> utf8 = stackalloc byte[8];
        for (int i = 0; i >= 0; i = chain[i].Next)
        {
            var symbol = chain[i];
            if (symbol.Id >= 0)
            {
                output.Add(symbol.Id);
                continue;
            }
            int byteCount = Encoding.UTF8.GetBytes(word.AsSpan(symbol.Start, symbol.Length), utf8);
            foreach (byte b in utf8[..byteCount])
                output.Add(_byteTokens[b] >= 0 ? _byteTokens[b] : _unknownId);
        }
    }

    private readonly struct ScoreRanker(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> pieces, float[] scores) : IPairRanker
    {
        public bool TryMerge(ReadOnlySpan<char> mergedText, int leftId, int rightId, out int mergedId, out float priority)
        {
            if (pieces.TryGetValue(mergedText, out mergedId))
            {
                priority = -scores[mergedId];
                return true;
            }
            priority = 0;
            return false;
        }
    }

    private static TokenPieces Prepare(SentencePieceVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        vocabulary.Validate();
        return TokenPieces.Build(vocabulary.Tokens.Length, (i, bytes) =>
        {
            string piece = vocabulary.Tokens[i];
            switch ((TokenType)vocabulary.TokenTypes[i])
            {
                case TokenType.Byte when TryParseByteToken(piece, out byte b):
                    bytes.Add(b);
                    break;
                case TokenType.Control:
                case TokenType.Unused:
                    break;
                case TokenType.Unknown:
                    // SentencePiece's surface for an unknown piece.
                    TokenPieces.AppendUtf8(bytes, " \u2047 ");
                    break;
                default:
                    TokenPieces.AppendUtf8(bytes, piece.Replace(SpaceMark, ' '));
                    break;
            }
        });
    }

    private static HashSet<int> EndOfGeneration(SentencePieceVocabulary v) => [v.EosId, .. v.EndOfGenerationIds ?? []];

    private static SpecialTokenMatcher Specials(SentencePieceVocabulary v, params TokenType[] types)
    {
        var tokens = new List<(string, int)>();
        for (int i = 0; i < v.Tokens.Length; i++)
        {
            if (types.Contains((TokenType)v.TokenTypes[i]))
                tokens.Add((v.Tokens[i], i));
        }
        return tokens.Count == 0 ? SpecialTokenMatcher.Empty : new SpecialTokenMatcher(tokens);
    }
}
