using FastInfer.Engine.Tokenizers.Common;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Llama 3's byte-level BPE. Built from GGUF-style arrays (<see cref="ByteLevelBpeVocabulary"/>, merged with our
/// <see cref="MergeListEncoder"/>) or from a tiktoken ranks file (<see cref="TiktokenRanksFile"/>, encoded by
/// <see cref="TiktokenEncoder"/> through Microsoft.ML.Tokenizers); both spell tokens the GPT-2 way, so token texts
/// match a GGUF's, and decode through the same byte pieces.
/// </summary>
public sealed class ByteLevelBpeTokenizer : VocabularyTokenizer
{
    private readonly IByteLevelTextEncoder _encoder;

    public ByteLevelBpeTokenizer(ByteLevelBpeVocabulary vocabulary)
        : this(Checked(vocabulary).Tokens, vocabulary.TokenTypes, vocabulary.BosId, vocabulary.EosId, vocabulary.AddBos,
            vocabulary.EndOfGenerationIds,
            new MergeListEncoder(vocabulary.Tokens, vocabulary.TokenTypes, vocabulary.Merges, Llama3PreTokenizer.Regex()))
    {
    }

    internal ByteLevelBpeTokenizer(
        string[] tokens, int[] tokenTypes, int bosId, int eosId, bool addBos, int[]? endOfGenerationIds, IByteLevelTextEncoder encoder)
        : base(tokens, BuildPieces(tokens, tokenTypes), bosId, eosId, addBos,
            EndOfGeneration(tokens, tokenTypes, eosId, endOfGenerationIds),
            Specials(tokens, tokenTypes, TokenType.UserDefined),
            Specials(tokens, tokenTypes, TokenType.UserDefined, TokenType.Control),
            stripSpaceAtStart: false)
    {
        _encoder = encoder;
        TokenTypes = tokenTypes;
    }

    /// <summary>Each token's <see cref="TokenType"/> number.</summary>
    public IReadOnlyList<int> TokenTypes { get; }

    private protected override void EncodeText(ReadOnlySpan<char> text, bool startsAfterSpecial, List<int> output) =>
        _encoder.Encode(text, output);

    private static ByteLevelBpeVocabulary Checked(ByteLevelBpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        vocabulary.Validate();
        return vocabulary;
    }

    private static TokenPieces BuildPieces(string[] tokens, int[] tokenTypes) =>
        TokenPieces.Build(tokens.Length, (i, bytes) =>
        {
            switch ((TokenType)tokenTypes[i])
            {
                case TokenType.Control:
                case TokenType.Unused:
                    break;
                case TokenType.UserDefined:
                    TokenPieces.AppendUtf8(bytes, tokens[i]);
                    break;
                default:
                    if (!GptByteUnicode.TryDecode(tokens[i], bytes))
                        TokenPieces.AppendUtf8(bytes, tokens[i]);
                    break;
            }
        });

    private static HashSet<int> EndOfGeneration(string[] tokens, int[] tokenTypes, int eosId, int[]? given)
    {
        if (given is not null)
            return [.. given];
        var ids = new HashSet<int> { eosId };
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((TokenType)tokenTypes[i] == TokenType.Control && ByteLevelBpeVocabulary.EndOfTurnSpellings.Contains(tokens[i]))
                ids.Add(i);
        }
        return ids;
    }

    private static SpecialTokenMatcher Specials(string[] tokens, int[] tokenTypes, params TokenType[] types)
    {
        var specials = new List<(string, int)>();
        for (int i = 0; i < tokens.Length; i++)
        {
            if (types.Contains((TokenType)tokenTypes[i]))
                specials.Add((tokens[i], i));
        }
        return specials.Count == 0 ? SpecialTokenMatcher.Empty : new SpecialTokenMatcher(specials);
    }
}
