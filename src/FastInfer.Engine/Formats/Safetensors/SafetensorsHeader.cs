using System.Text;
using System.Text.Json;

namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>
/// The JSON header of a safetensors file, parsed and checked against the data buffer it describes:
/// every tensor's bytes must lie inside the buffer, match its shape and dtype, and not overlap another's.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Bytes before the JSON: its little-endian u64 length.</summary>
    public const int LengthPrefixBytes = 8;

    /// <summary>The format's own cap on the header, which stops a corrupt length from asking for gigabytes.</summary>
    public const long MaxJsonBytes = 100_000_000;

    private SafetensorsHeader(List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Tensors in header order.</summary>
    public List<SafetensorsTensorInfo> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>Parses <paramref name="json"/> (the header bytes) for a file whose data buffer holds <paramref name="bufferLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json, long bufferLength)
    {
        // Offsets inside the JSON are reported as file offsets.
        Exception Fail(string problem, long jsonOffset, string? tensor = null) =>
            new SafetensorsFormatException(path, problem, LengthPrefixBytes + jsonOffset, tensor);

        RequireUtf8(json, Fail);
        var fields = JsonFields.ParseObject(json, (problem, offset) => Fail("header: " + problem, offset));
        var tensors = new List<SafetensorsTensorInfo>(fields.Count);
        var offsets = new List<long>(fields.Count);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (field.Name == "__metadata__")
                ReadMetadata(field, metadata, Fail);
            else
            {
                tensors.Add(ReadTensor(field, bufferLength, Fail));
                offsets.Add(field.Offset);
            }
        }
        RequireNoOverlap(tensors, offsets, Fail);
        return new SafetensorsHeader(tensors, metadata);
    }

    private static void RequireUtf8(ReadOnlySpan<byte> json, Func<string, long, string?, Exception> fail)
    {
        for (int i = 0; i < json.Length;)
        {
            if (Rune.DecodeFromUtf8(json[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
                throw fail("header is not valid UTF-8", i, null);
            i += consumed;
        }
    }

    private static void ReadMetadata(JsonField field, Dictionary<string, string> metadata, Func<string, long, string?, Exception> fail)
    {
        if (field.Value.ValueKind != JsonValueKind.Object)
            throw fail($"__metadata__ must be an object of strings, found {field.Value.ValueKind}", field.Offset, null);
        foreach (var entry in field.Value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw fail($"__metadata__ value '{entry.Name}' must be a string, found {entry.Value.ValueKind}", field.Offset, null);
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ReadTensor(JsonField field, long bufferLength, Func<string, long, string?, Exception> fail)
    {
        string name = field.Name;
        Exception Fail(string problem) => fail(problem, field.Offset, name);

        var entry = field.Value;
        if (entry.ValueKind != JsonValueKind.Object)
            throw Fail($"entry must be an object, found {entry.ValueKind}");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail("field 'dtype' is missing or not a string");
        string dtypeText = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeText, out var dtype))
            throw Fail($"field 'dtype' has unknown value '{dtypeText}'");

        long[] shape = ReadIntegers(entry, "shape", Fail);
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw Fail($"field 'shape' has negative dimension {shape[i]} at index {i}");
        }
        long[] range = ReadIntegers(entry, "data_offsets", Fail);
        if (range.Length != 2)
            throw Fail($"field 'data_offsets' must hold [begin, end], found {range.Length} numbers");
        long begin = range[0], end = range[1];
        if (begin < 0 || end < 0)
            throw Fail($"field 'data_offsets' [{begin}, {end}] is negative");
        if (begin > end)
            throw Fail($"field 'data_offsets' begins at {begin} after its end {end}");
        if (end > bufferLength)
            throw Fail($"field 'data_offsets' ends at {end}, past the {bufferLength}-byte data buffer");

        long bytes;
        try
        {
            bytes = shape.Aggregate((long)SafetensorsDTypes.ElementBytes(dtype), (a, b) => checked(a * b));
        }
        catch (OverflowException)
        {
            throw Fail($"field 'shape' [{string.Join(", ", shape)}] overflows a 64-bit byte count");
        }
        if (bytes != end - begin)
            throw Fail($"shape [{string.Join(", ", shape)}] of {dtype} needs {bytes} bytes but 'data_offsets' [{begin}, {end}] span {end - begin}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement entry, string fieldName, Func<string, Exception> fail)
    {
        if (!entry.TryGetProperty(fieldName, out var array) || array.ValueKind != JsonValueKind.Array)
            throw fail($"field '{fieldName}' is missing or not an array");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i]))
                throw fail($"field '{fieldName}' item {i} ({item.GetRawText()}) is not a 64-bit integer");
            i++;
        }
        return values;
    }

    private static void RequireNoOverlap(List<SafetensorsTensorInfo> tensors, List<long> offsets, Func<string, long, string?, Exception> fail)
    {
        // Empty tensors occupy no bytes, so they cannot collide with anything.
        var order = Enumerable.Range(0, tensors.Count).Where(i => tensors[i].ByteLength > 0).OrderBy(i => tensors[i].Begin).ToArray();
        for (int k = 1; k < order.Length; k++)
        {
            var previous = tensors[order[k - 1]];
            var current = tensors[order[k]];
            if (current.Begin < previous.End)
            {
                throw fail($"bytes [{current.Begin}, {current.End}) overlap tensor '{previous.Name}' at [{previous.Begin}, {previous.End})",
                    offsets[order[k]], current.Name);
            }
        }
    }
}
