using System.Text.Json;
using FastInfer.Engine.Formats.Safetensors;

namespace FastInfer.Engine.Formats.HuggingFace;

/// <summary>Typed access to config.json's top-level fields, with errors that name the field and its offset.</summary>
internal sealed class ConfigFields(string path, List<JsonField> fields)
{
    private readonly Dictionary<string, JsonField> _byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public JsonField? Find(string name) => _byName.TryGetValue(name, out var field) ? field : null;

    /// <summary>A required integer, or <paramref name="fallback"/> when absent (null → required).</summary>
    public int Int(string name, int? fallback = null)
    {
        if (!_byName.TryGetValue(name, out var field) || field.Value.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new HuggingFaceFormatException(path, $"field '{name}' is missing");
        if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetInt32(out int value))
            throw new HuggingFaceFormatException(path, $"field '{name}' is {field.Value.GetRawText()}, not a 32-bit integer", field.Offset);
        return value;
    }

    /// <summary>An integer where an explicit null means 0 (disabled) and absence means <paramref name="fallback"/>.</summary>
    public int NullableInt(string name, int fallback)
    {
        if (!_byName.TryGetValue(name, out var field))
            return fallback;
        return field.Value.ValueKind == JsonValueKind.Null ? 0 : Int(name);
    }

    public float Float(string name, float fallback)
    {
        if (!_byName.TryGetValue(name, out var field) || field.Value.ValueKind == JsonValueKind.Null)
            return fallback;
        if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetDouble(out double value) || !double.IsFinite(value))
            throw new HuggingFaceFormatException(path, $"field '{name}' is {field.Value.GetRawText()}, not a number", field.Offset);
        return (float)value;
    }

    public bool Bool(string name, bool fallback)
    {
        if (!_byName.TryGetValue(name, out var field) || field.Value.ValueKind == JsonValueKind.Null)
            return fallback;
        return field.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new HuggingFaceFormatException(path, $"field '{name}' is {field.Value.GetRawText()}, not true or false", field.Offset),
        };
    }
}
