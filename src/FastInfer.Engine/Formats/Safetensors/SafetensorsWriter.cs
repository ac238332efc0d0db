using System.Buffers.Binary;
using System.Text.Json;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>
/// Builds a safetensors file: tensors are laid out back to back in the order added, and the JSON header is
/// padded with spaces to a multiple of 8 bytes so the data buffer starts 8-byte aligned, as other writers do.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Strings written as the header's <c>__metadata__</c> (omitted when empty).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds raw little-endian bytes of a row-major tensor (outermost dimension first).</summary>
    public void Add(string name, SafetensorsDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        if (name == "__metadata__")
            throw new ArgumentException("'__metadata__' is reserved for the header's metadata", nameof(name));
        if (shape.Any(d => d < 0))
            throw new ArgumentException($"tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}]", nameof(shape));
        long bytes = shape.Aggregate((long)SafetensorsDTypes.ElementBytes(dtype), (a, b) => checked(a * b));
        if (bytes != data.Length)
            throw new ArgumentException($"tensor '{name}' of {dtype} [{string.Join(", ", shape)}] needs {bytes} bytes, got {data.Length}", nameof(data));
        if (!_names.Add(name))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        _tensors.Add((name, dtype, (long[])shape.Clone(), data));
    }

    /// <summary>Adds float values encoded as F32, F16 or BF16 (rounded to nearest even).</summary>
    public void AddFloats(string name, SafetensorsDType dtype, ReadOnlySpan<float> values, params long[] shape)
    {
        byte[] data;
        switch (dtype)
        {
            case SafetensorsDType.F32:
                data = new byte[values.Length * 4];
                for (int i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), values[i]);
                break;
            case SafetensorsDType.F16:
            case SafetensorsDType.BF16:
                data = new byte[values.Length * 2];
                for (int i = 0; i < values.Length; i++)
                {
                    ushort bits = dtype == SafetensorsDType.F16 ? Fp16.FloatToHalf(values[i]) : Fp16.FloatToBFloat16(values[i]);
                    BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(i * 2), bits);
                }
                break;
            default:
                throw new ArgumentException($"float values cannot be written as {dtype}", nameof(dtype));
        }
        Add(name, dtype, shape, data);
    }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream);
    }

    public void Write(Stream stream)
    {
        byte[] header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in _tensors)
            stream.Write(tensor.Data.Span);
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in Metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in _tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (long d in tensor.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
