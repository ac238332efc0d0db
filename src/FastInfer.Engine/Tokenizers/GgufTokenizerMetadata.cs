using System.Collections;
using System.Globalization;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tokenizers;

/// <summary>
/// Builds the tokenizer a GGUF file describes from its <c>tokenizer.ggml.*</c> metadata, whatever collection types
/// the GGUF reader hands over (arrays or lists of strings, floats, signed or unsigned integers). Defaults for absent
/// keys are llama.cpp's.
/// </summary>
public static class GgufTokenizerMetadata
{
    public const string Model = "tokenizer.ggml.model";
    public const string Tokens = "tokenizer.ggml.tokens";
    public const string Scores = "tokenizer.ggml.scores";
    public const string TokenTypes = "tokenizer.ggml.token_type";
    public const string Merges = "tokenizer.ggml.merges";
    public const string BosId = "tokenizer.ggml.bos_token_id";
    public const string EosId = "tokenizer.ggml.eos_token_id";
    public const string UnknownId = "tokenizer.ggml.unknown_token_id";
    public const string EndOfTurnId = "tokenizer.ggml.eot_token_id";
    public const string EndOfMessageId = "tokenizer.ggml.eom_token_id";
    public const string AddBos = "tokenizer.ggml.add_bos_token";
    public const string AddSpacePrefix = "tokenizer.ggml.add_space_prefix";
    public const string PreTokenizer = "tokenizer.ggml.pre";

    /// <summary>A tokenizer for <c>tokenizer.ggml.model</c> = <c>llama</c> (SentencePiece) or <c>gpt2</c> (byte-level BPE).</summary>
    public static ITextTokenizer Create(IReadOnlyDictionary<string, object> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string model = Text(metadata, Model) ?? throw Missing(Model);
        string[] tokens = Strings(metadata, Tokens) ?? throw Missing(Tokens);
        int[] types = Integers(metadata, TokenTypes) ?? Enumerable.Repeat((int)TokenType.Normal, tokens.Length).ToArray();
        int[] endOfTurn = new[] { Integer(metadata, EndOfTurnId), Integer(metadata, EndOfMessageId) }
            .Where(id => id is not null).Select(id => id!.Value).ToArray();
        try
        {
            switch (model)
            {
                case "llama":
                    return new SentencePieceBpeTokenizer(new SentencePieceVocabulary(
                        tokens, Floats(metadata, Scores) ?? throw Missing(Scores), types,
                        Integer(metadata, BosId) ?? 1, Integer(metadata, EosId) ?? 2, Integer(metadata, UnknownId) ?? 0,
                        Boolean(metadata, AddSpacePrefix) ?? true, Boolean(metadata, AddBos) ?? true,
                        endOfTurn.Length > 0 ? endOfTurn : null));
                case "gpt2":
                    int eos = Integer(metadata, EosId) ?? throw Missing(EosId);
                    return new ByteLevelBpeTokenizer(new ByteLevelBpeVocabulary(
                        tokens, Strings(metadata, Merges) ?? throw Missing(Merges), types,
                        Integer(metadata, BosId) ?? eos, eos, Text(metadata, PreTokenizer) ?? "default",
                        Boolean(metadata, AddBos) ?? true,
                        endOfTurn.Length > 0 ? [eos, .. endOfTurn] : null));
                default:
                    throw new NotSupportedException($"GGUF {Model} '{model}' is not supported; supported: llama (SentencePiece BPE), gpt2 (byte-level BPE)");
            }
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"GGUF tokenizer metadata is inconsistent: {e.Message}", e);
        }
    }

    private static FormatException Missing(string key) => new($"GGUF metadata lacks {key}, which the tokenizer needs");

    private static FormatException WrongType(string key, object value, string expected) =>
        new($"GGUF metadata {key} is a {value.GetType().Name}; {expected} was expected");

    private static string? Text(IReadOnlyDictionary<string, object> metadata, string key) =>
        !metadata.TryGetValue(key, out var value) ? null : value as string ?? throw WrongType(key, value, "a string");

    private static bool? Boolean(IReadOnlyDictionary<string, object> metadata, string key) =>
        !metadata.TryGetValue(key, out var value) ? null : value as bool? ?? throw WrongType(key, value, "a bool");

    private static int? Integer(IReadOnlyDictionary<string, object> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var value))
            return null;
        return value is IConvertible and not string and not bool and not float and not double
            ? ToInt(key, value)
            : throw WrongType(key, value, "an integer");
    }

    private static string[]? Strings(IReadOnlyDictionary<string, object> metadata, string key) =>
        Elements(metadata, key, "an array of strings", (k, e) => e as string ?? throw WrongType(k, e, "a string element"));

    private static float[]? Floats(IReadOnlyDictionary<string, object> metadata, string key) =>
        Elements(metadata, key, "an array of floats",
            (k, e) => e is float or double or int or long ? Convert.ToSingle(e, CultureInfo.InvariantCulture) : throw WrongType(k, e, "a float element"));

    private static int[]? Integers(IReadOnlyDictionary<string, object> metadata, string key) =>
        Elements(metadata, key, "an array of integers",
            (k, e) => e is IConvertible and not string and not bool and not float and not double ? ToInt(k, e) : throw WrongType(k, e, "an integer element"));

    private static T[]? Elements<T>(IReadOnlyDictionary<string, object> metadata, string key, string expected, Func<string, object, T> convert)
    {
        if (!metadata.TryGetValue(key, out var value))
            return null;
        return value switch
        {
            T[] array => array,
            string => throw WrongType(key, value, expected),
            IEnumerable items => items.Cast<object>().Select(e => convert(key, e)).ToArray(),
            _ => throw WrongType(key, value, expected),
        };
    }

    private static int ToInt(string key, object value)
    {
        try
        {
            return Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            throw new FormatException($"GGUF metadata {key} holds {value}, outside the int range");
        }
    }
}
