using System.Text.Json;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tokenizers.HuggingFace;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> whose model is BPE, into the vocabulary record of the tokenizer it
/// behaves like: with <c>byte_fallback</c> (Llama 2, Mistral, Mixtral) a SentencePiece BPE vocabulary with scores
/// derived from the merge ranks (<see cref="MergeRankScores"/>); with a <c>ByteLevel</c> pre-tokenizer and Llama 3's
/// split regex a byte-level BPE vocabulary whose merges are the file's, in order. <c>added_tokens</c> become control
/// tokens (<c>special: true</c>) or user-defined ones.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 2.0.1 has no tokenizer.json reader. Its <c>BpeTokenizer.Create(BpeOptions)</c> takes a
/// vocabulary and merges, but has no byte fallback to &lt;0xNN&gt; pieces, and the normalizer, pre-tokenizer and added
/// tokens would still have to be translated by hand; its SentencePiece tokenizer needs a protobuf model and breaks
/// score ties unlike llama.cpp (see <see cref="SentencePieceBpeTokenizer"/>). Our two tokenizers already pass
/// llama.cpp's test vectors, so the file is read into their records instead.
/// </remarks>
public static class HuggingFaceTokenizerJson
{
    public const string FileName = "tokenizer.json";
    private const string Kind = "tokenizer.json";
    private const string SpaceMark = "\u2581";

    public static HuggingFaceVocabulary Read(string path, TokenizerSpecialIds? specials = null) =>
        Parse(File.ReadAllBytes(path), specials ?? new TokenizerSpecialIds(null, null, null, null, null));

    public static HuggingFaceVocabulary Parse(ReadOnlySpan<byte> utf8Json, TokenizerSpecialIds specials)
    {
        var fields = JsonFields.ParseObject(utf8Json, (problem, offset) => new TokenizerFormatException(Kind, "document", offset, problem))
            .ToDictionary(f => f.Name, StringComparer.Ordinal);
        var model = Required(fields, "model", JsonValueKind.Object);
        string type = model.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(absent)";
        if (type != "BPE")
            throw new NotSupportedException($"{Kind}: model type '{type}' is not supported; FastInfer reads BPE tokenizers (Llama, Mistral, Mixtral)");

        var ids = ReadVocab(model);
        var added = ReadAddedTokens(fields);
        foreach (var token in added)
            ids[token.Content] = token.Id;
        var tokens = Tokens(ids, model.Offset);
        var merges = ReadMerges(model);
        var types = new int[tokens.Length];
        Array.Fill(types, (int)TokenType.Normal);
        foreach (var token in added)
            types[token.Id] = (int)(token.Special ? TokenType.Control : TokenType.UserDefined);

        bool byteFallback = model.Value.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True;
        var preTokenizer = fields.GetValueOrDefault("pre_tokenizer");
        try
        {
            if (byteFallback)
                return new HuggingFaceVocabulary { SentencePiece = SentencePieceStyle(tokens, types, ids, merges, model, fields, specials) };
            if (HasByteLevel(preTokenizer.Value))
                return new HuggingFaceVocabulary { ByteLevel = ByteLevelStyle(tokens, types, ids, merges, preTokenizer, specials) };
        }
        catch (ArgumentException e)
        {
            throw new TokenizerFormatException(Kind, "model", model.Offset, e.Message);
        }
        throw new NotSupportedException(
            $"{Kind}: a BPE model without byte_fallback and without a ByteLevel pre-tokenizer is not supported; FastInfer reads Llama 2/Mistral-style (byte_fallback) and Llama 3-style (ByteLevel) tokenizers");
    }

    private static SentencePieceVocabulary SentencePieceStyle(string[] tokens, int[] types, Dictionary<string, int> ids,
        List<(string, string)> merges, JsonField model, Dictionary<string, JsonField> fields, TokenizerSpecialIds specials)
    {
        int unknown = model.Value.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String && ids.TryGetValue(unk.GetString()!, out int u) ? u : -1;
        if (unknown >= 0)
            types[unknown] = (int)TokenType.Unknown;
        for (int id = 0; id < tokens.Length; id++)
        {
            if (types[id] == (int)TokenType.Normal && SentencePieceBpeTokenizer.TryParseByteToken(tokens[id], out _))
                types[id] = (int)TokenType.Byte;
        }
        var scores = MergeRankScores.Derive(tokens, types, merges, ids);
        var vocabulary = new SentencePieceVocabulary(tokens, scores, types,
            BosId: SpecialId(specials.BosToken, specials.BosId, "<s>", ids, "bos_token"),
            EosId: SpecialId(specials.EosToken, specials.EosIds?.FirstOrDefault(), "</s>", ids, "eos_token"),
            UnknownId: unknown,
            AddSpacePrefix: AddsSpacePrefix(fields),
            AddBos: specials.AddBos ?? true,
            EndOfGenerationIds: specials.EosIds);
        vocabulary.Validate();
        return vocabulary;
    }

    private static ByteLevelBpeVocabulary ByteLevelStyle(string[] tokens, int[] types, Dictionary<string, int> ids,
        List<(string Left, string Right)> merges, JsonField preTokenizer, TokenizerSpecialIds specials)
    {
        string? pattern = SplitPattern(preTokenizer.Value);
        if (pattern != Llama3PreTokenizer.Pattern)
            throw new NotSupportedException(
                $"{Kind}: byte-level pre-tokenizer split {(pattern is null ? "(none)" : $"'{pattern}'")} is not supported; FastInfer has Llama 3's");
        int eos = SpecialId(specials.EosToken, specials.EosIds?.FirstOrDefault(), "<|end_of_text|>", ids, "eos_token");
        var vocabulary = new ByteLevelBpeVocabulary(tokens, merges.Select(m => m.Left + " " + m.Right).ToArray(), types,
            BosId: SpecialId(specials.BosToken, specials.BosId, "<|begin_of_text|>", ids, "bos_token"),
            EosId: eos,
            PreTokenizer: "llama-bpe",
            AddBos: specials.AddBos ?? true,
            // The config's EOS list, or (when it names one) null, so EOS plus end-of-turn control tokens end a generation.
            EndOfGenerationIds: specials.EosIds is { Length: > 1 } list ? [.. list, eos] : null);
        vocabulary.Validate();
        return vocabulary;
    }

    /// <summary>The token named in tokenizer_config.json, else config.json's id, else the family's usual spelling.</summary>
    private static int SpecialId(string? token, int? id, string usual, Dictionary<string, int> ids, string what)
    {
        if (token is not null)
            return ids.TryGetValue(token, out int named) ? named : throw new FormatException($"tokenizer_config.json: {what} '{token}' is not in {Kind}'s vocabulary");
        if (id is { } given)
            return given;
        return ids.TryGetValue(usual, out int found) ? found
            : throw new FormatException($"{Kind}: no {what} is configured (tokenizer_config.json, config.json) and the vocabulary has no '{usual}'");
    }

    /// <summary>Llama 2's files prepend "▁" in the normalizer; newer ones use a Metaspace pre-tokenizer with a prepend scheme.</summary>
    private static bool AddsSpacePrefix(Dictionary<string, JsonField> fields)
    {
        if (fields.TryGetValue("normalizer", out var normalizer) && Components(normalizer.Value, "normalizers")
                .Any(n => TypeOf(n) == "Prepend" && n.TryGetProperty("prepend", out var p) && p.GetString() == SpaceMark))
            return true;
        if (fields.TryGetValue("pre_tokenizer", out var pre))
        {
            foreach (var metaspace in Components(pre.Value, "pretokenizers").Where(p => TypeOf(p) == "Metaspace"))
            {
                if (metaspace.TryGetProperty("prepend_scheme", out var scheme) && scheme.ValueKind == JsonValueKind.String)
                    return scheme.GetString() != "never";
                return !metaspace.TryGetProperty("add_prefix_space", out var add) || add.ValueKind != JsonValueKind.False;
            }
        }
        return false;
    }

    private static bool HasByteLevel(JsonElement preTokenizer) =>
        preTokenizer.ValueKind == JsonValueKind.Object && Components(preTokenizer, "pretokenizers").Any(p => TypeOf(p) == "ByteLevel");

    private static string? SplitPattern(JsonElement preTokenizer) =>
        Components(preTokenizer, "pretokenizers")
            .Where(p => TypeOf(p) == "Split" && p.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.Object)
            .Select(p => p.GetProperty("pattern").TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String ? regex.GetString() : null)
            .FirstOrDefault();

    /// <summary>A normalizer or pre-tokenizer, or the members of its Sequence.</summary>
    private static IEnumerable<JsonElement> Components(JsonElement element, string sequenceField)
    {
        if (element.ValueKind != JsonValueKind.Object)
            return [];
        if (TypeOf(element) == "Sequence" && element.TryGetProperty(sequenceField, out var members) && members.ValueKind == JsonValueKind.Array)
            return members.EnumerateArray().ToArray();
        return [element];
    }

    private static string? TypeOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static Dictionary<string, int> ReadVocab(JsonField model)
    {
        if (!model.Value.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(Kind, "model.vocab", model.Offset, "the BPE model has no vocab object");
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new TokenizerFormatException(Kind, $"model.vocab['{entry.Name}']", model.Offset, $"expected a non-negative token id, found {entry.Value.GetRawText()}");
            if (!ids.TryAdd(entry.Name, id))
                throw new TokenizerFormatException(Kind, $"model.vocab['{entry.Name}']", model.Offset, "the token appears twice");
        }
        return ids;
    }

    private static List<(string, string)> ReadMerges(JsonField model)
    {
        var merges = new List<(string, string)>();
        if (!model.Value.TryGetProperty("merges", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new TokenizerFormatException(Kind, "model.merges", model.Offset, "the BPE model has no merges array");
        int rank = 0;
        foreach (var merge in list.EnumerateArray())
        {
            // Older files write "left right"; newer ones ["left", "right"] (tokens may then contain spaces).
            (string, string)? pair = merge.ValueKind switch
            {
                JsonValueKind.String when merge.GetString()!.Split(' ') is [var l, var r] && l.Length > 0 && r.Length > 0 => (l, r),
                JsonValueKind.Array when merge.GetArrayLength() == 2 && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                    => (merge[0].GetString()!, merge[1].GetString()!),
                _ => null,
            };
            merges.Add(pair ?? throw new TokenizerFormatException(Kind, $"model.merges[{rank}]", model.Offset, $"expected \"left right\" or [\"left\", \"right\"], found {merge.GetRawText()}"));
            rank++;
        }
        return merges;
    }

    private readonly record struct AddedToken(int Id, string Content, bool Special);

    private static List<AddedToken> ReadAddedTokens(Dictionary<string, JsonField> fields)
    {
        var added = new List<AddedToken>();
        if (!fields.TryGetValue("added_tokens", out var field) || field.Value.ValueKind == JsonValueKind.Null)
            return added;
        if (field.Value.ValueKind != JsonValueKind.Array)
            throw new TokenizerFormatException(Kind, "added_tokens", field.Offset, $"expected an array, found {field.Value.ValueKind}");
        int index = 0;
        foreach (var token in field.Value.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Object
                || !token.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int value) || value < 0
                || !token.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String || content.GetString()!.Length == 0)
                throw new TokenizerFormatException(Kind, $"added_tokens[{index}]", field.Offset, $"expected {{\"id\": n, \"content\": \"...\"}}, found {token.GetRawText()}");
            bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
            added.Add(new AddedToken(value, content.GetString()!, special));
            index++;
        }
        return added;
    }

    /// <summary>Tokens by id; every id below the largest must be used exactly once.</summary>
    private static string[] Tokens(Dictionary<string, int> ids, long offset)
    {
        if (ids.Count == 0)
            throw new TokenizerFormatException(Kind, "model.vocab", offset, "the vocabulary is empty");
        int size = ids.Values.Max() + 1;
        if (size != ids.Count)
            throw new TokenizerFormatException(Kind, "model.vocab", offset,
                $"{ids.Count} distinct tokens but ids reach {size - 1}: some id is missing or shared by two tokens");
        var tokens = new string[size];
        foreach (var (token, id) in ids)
        {
            if (tokens[id] is not null)
                throw new TokenizerFormatException(Kind, "model.vocab", offset, $"id {id} is given to '{tokens[id]}' and '{token}'");
            tokens[id] = token;
        }
        return tokens;
    }

    private static JsonField Required(Dictionary<string, JsonField> fields, string name, JsonValueKind kind) =>
        fields.TryGetValue(name, out var field) && field.Value.ValueKind == kind
            ? field
            : throw new TokenizerFormatException(Kind, name, field.Offset, $"field '{name}' is missing or not a JSON {kind}");
}
