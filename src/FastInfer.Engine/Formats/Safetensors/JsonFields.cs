using System.Text.Json;

namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>A property of a JSON object with the byte offset of its name, so errors can point into the file.</summary>
internal readonly record struct JsonField(string Name, JsonElement Value, long Offset);

/// <summary>
/// Reads JSON objects field by field with <see cref="Utf8JsonReader"/> rather than JsonDocument, because only
/// the reader knows where each field lies (errors report byte offsets) and only it sees duplicate keys,
/// which JsonDocument silently accepts but which make a header ambiguous.
/// </summary>
internal static class JsonFields
{
    /// <summary>Parses a whole document that must be one object; <paramref name="fail"/> builds the exception for a problem at an offset.</summary>
    public static List<JsonField> ParseObject(ReadOnlySpan<byte> utf8, Func<string, long, Exception> fail)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        try
        {
            if (!reader.Read())
                throw fail("the JSON text is empty", 0);
            var fields = ReadObject(ref reader, fail);
            if (reader.Read())
                throw fail("unexpected content after the JSON object", reader.TokenStartIndex);
            return fields;
        }
        catch (JsonException e)
        {
            throw fail(Describe(e), reader.BytesConsumed);
        }
    }

    /// <summary>A syntax error's position and reason, for the exception that replaces it.</summary>
    public static string Describe(JsonException e) =>
        $"invalid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of the line): {e.Message}";

    /// <summary>Reads the object starting at the reader's current token; each field's value is captured whole.</summary>
    public static List<JsonField> ReadObject(ref Utf8JsonReader reader, Func<string, long, Exception> fail)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw fail($"expected a JSON object, found {reader.TokenType}", reader.TokenStartIndex);
        var fields = new List<JsonField>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            long offset = reader.TokenStartIndex;
            string name = reader.GetString()!;
            if (!seen.Add(name))
                throw fail($"key '{name}' appears twice", offset);
            reader.Read();
            fields.Add(new JsonField(name, JsonElement.ParseValue(ref reader), offset));
        }
        return fields;
    }
}
