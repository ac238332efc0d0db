using System.Text.Json;
using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tests.Mixtral;

/// <summary>
/// tokenizer.json files laid out as Hugging Face's converters write them, from the real Llama 2 SentencePiece
/// model and Llama 3 ranks (no real tokenizer.json is among the shared test files).
/// </summary>
internal static class TokenizerJsonFixtures
{
    /// <summary>
    /// As transformers' SpmConverter: the vocabulary in id order, and for every piece each split into two pieces
    /// of the vocabulary (ordered by the parts' ids), all sorted by the merged piece's score, highest first, stably.
    /// </summary>
    public static string SentencePiece(SentencePieceVocabulary spm, bool modernLayout)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < spm.Tokens.Length; i++)
            ids[spm.Tokens[i]] = i;
        var merges = new List<(string Left, string Right, float Score)>();
        for (int i = 0; i < spm.Tokens.Length; i++)
        {
            string piece = spm.Tokens[i];
            var local = new List<(string, string, float)>();
            for (int cut = 1; cut < piece.Length; cut++)
            {
                if (ids.ContainsKey(piece[..cut]) && ids.ContainsKey(piece[cut..]))
                    local.Add((piece[..cut], piece[cut..], spm.Scores[i]));
            }
            merges.AddRange(local.OrderBy(m => ids[m.Item1]).ThenBy(m => ids[m.Item2]));
        }
        var ordered = merges.OrderByDescending(m => m.Score).ToList(); // LINQ's OrderBy is stable, as Python's sorted

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WritePropertyName("added_tokens");
            json.WriteStartArray();
            for (int i = 0; i < spm.Tokens.Length; i++)
            {
                if ((TokenType)spm.TokenTypes[i] is TokenType.Control or TokenType.Unknown)
                    AddedToken(json, i, spm.Tokens[i], special: true);
            }
            json.WriteEndArray();
            if (modernLayout)
            {
                json.WriteNull("normalizer");
                json.WritePropertyName("pre_tokenizer");
                json.WriteStartObject();
                json.WriteString("type", "Metaspace");
                json.WriteString("replacement", "\u2581");
                json.WriteString("prepend_scheme", "first");
                json.WriteBoolean("split", false);
                json.WriteEndObject();
            }
            else
            {
                json.WritePropertyName("normalizer");
                json.WriteStartObject();
                json.WriteString("type", "Sequence");
                json.WritePropertyName("normalizers");
                json.WriteStartArray();
                json.WriteStartObject(); json.WriteString("type", "Prepend"); json.WriteString("prepend", "\u2581"); json.WriteEndObject();
                json.WriteStartObject(); json.WriteString("type", "Replace");
                json.WritePropertyName("pattern"); json.WriteStartObject(); json.WriteString("String", " "); json.WriteEndObject();
                json.WriteString("content", "\u2581"); json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteNull("pre_tokenizer");
            }
            json.WritePropertyName("model");
            json.WriteStartObject();
            json.WriteString("type", "BPE");
            json.WriteString("unk_token", spm.Tokens[spm.UnknownId]);
            json.WriteBoolean("fuse_unk", true);
            json.WriteBoolean("byte_fallback", true);
            Vocab(json, spm.Tokens);
            Merges(json, ordered.Select(m => (m.Left, m.Right)), modernLayout);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>As Llama 3's tokenizer.json: a Split with the Llama 3 regex then ByteLevel, the merges in rank order, specials added.</summary>
    public static string ByteLevel(ByteLevelBpeVocabulary v)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WritePropertyName("added_tokens");
            json.WriteStartArray();
            for (int i = 0; i < v.Tokens.Length; i++)
            {
                if ((TokenType)v.TokenTypes[i] == TokenType.Control)
                    AddedToken(json, i, v.Tokens[i], special: true);
            }
            json.WriteEndArray();
            json.WriteNull("normalizer");
            json.WritePropertyName("pre_tokenizer");
            json.WriteStartObject();
            json.WriteString("type", "Sequence");
            json.WritePropertyName("pretokenizers");
            json.WriteStartArray();
            json.WriteStartObject();
            json.WriteString("type", "Split");
            json.WritePropertyName("pattern"); json.WriteStartObject(); json.WriteString("Regex", Llama3PreTokenizer.Pattern); json.WriteEndObject();
            json.WriteString("behavior", "Isolated");
            json.WriteBoolean("invert", false);
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("type", "ByteLevel");
            json.WriteBoolean("add_prefix_space", false);
            json.WriteBoolean("trim_offsets", true);
            json.WriteBoolean("use_regex", false);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WritePropertyName("model");
            json.WriteStartObject();
            json.WriteString("type", "BPE");
            json.WriteBoolean("byte_fallback", false);
            json.WriteBoolean("ignore_merges", true);
            var regular = v.Tokens.Select((t, i) => (TokenType)v.TokenTypes[i] == TokenType.Control ? null : t).ToArray();
            Vocab(json, regular);
            Merges(json, v.Merges.Select(m => m.Split(' ') is [var l, var r] ? (l, r) : throw new InvalidDataException(m)), arrays: false);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void AddedToken(Utf8JsonWriter json, int id, string content, bool special)
    {
        json.WriteStartObject();
        json.WriteNumber("id", id);
        json.WriteString("content", content);
        json.WriteBoolean("single_word", false);
        json.WriteBoolean("lstrip", false);
        json.WriteBoolean("rstrip", false);
        json.WriteBoolean("normalized", false);
        json.WriteBoolean("special", special);
        json.WriteEndObject();
    }

    /// <summary>The vocab object; null entries (added tokens) are left to added_tokens, as HF's files do for Llama 3.</summary>
    private static void Vocab(Utf8JsonWriter json, string?[] tokens)
    {
        json.WritePropertyName("vocab");
        json.WriteStartObject();
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] is { } token)
                json.WriteNumber(token, i);
        }
        json.WriteEndObject();
    }

    private static void Merges(Utf8JsonWriter json, IEnumerable<(string Left, string Right)> merges, bool arrays)
    {
        json.WritePropertyName("merges");
        json.WriteStartArray();
        foreach (var (left, right) in merges)
        {
            if (arrays)
            {
                json.WriteStartArray();
                json.WriteStringValue(left);
                json.WriteStringValue(right);
                json.WriteEndArray();
            }
            else
                json.WriteStringValue(left + " " + right);
        }
        json.WriteEndArray();
    }
}
