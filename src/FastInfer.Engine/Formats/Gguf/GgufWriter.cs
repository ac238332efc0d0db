using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Formats.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata of every type and tensors given as floats (quantized on the way out),
/// raw bytes, or a <see cref="TensorFill"/> callback so multi-gigabyte models stream to disk a chunk at a time.
/// </summary>
public sealed class GgufWriter
{
    private const int ChunkElements = 1 << 20;

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly Dictionary<string, int> _metadataIndex = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    public GgufWriter(int alignment = GgufFile.DefaultAlignment)
    {
        if (!GgufFile.IsPowerOfTwo(alignment))
            throw new ArgumentException($"alignment {alignment} is not a power of two", nameof(alignment));
        Alignment = alignment;
    }

    public int Alignment { get; }

    /// <summary>Adds a key, or replaces its value in place (keeping its position).</summary>
    public GgufWriter SetMetadata(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == GgufFile.AlignmentKey)
            throw new ArgumentException("general.alignment follows the writer's Alignment; pass it to the constructor", nameof(key));
        if (_metadataIndex.TryGetValue(key, out int index))
            _metadata[index] = new(key, value);
        else
        {
            _metadataIndex[key] = _metadata.Count;
            _metadata.Add(new(key, value));
        }
        return this;
    }

    /// <summary>Quantizes <paramref name="data"/> now (so the span need not outlive this call) into <paramref name="storeAs"/>.</summary>
    public GgufWriter AddTensor(string name, GgmlType storeAs, ReadOnlySpan<float> data, params long[] dims)
    {
        long elements = CheckShape(name, storeAs, dims);
        if (!Quantizer.CanQuantizeTo(storeAs))
            throw new NotSupportedException($"tensor '{name}': cannot quantize to {storeAs}");
        if (data.Length != elements)
            throw new ArgumentException($"tensor '{name}' of shape [{string.Join(", ", dims)}] needs {elements} values, got {data.Length}");
        var bytes = new byte[TensorBytes(storeAs, dims)];
        Quantizer.Quantize(storeAs, data, bytes);
        return Add(new PendingTensor(name, storeAs, (long[])dims.Clone(), bytes.LongLength, bytes, null));
    }

    /// <summary>Adds a tensor whose values <paramref name="fill"/> produces while the file is written.</summary>
    public GgufWriter AddTensor(string name, GgmlType storeAs, long[] dims, TensorFill fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        CheckShape(name, storeAs, dims);
        if (!Quantizer.CanQuantizeTo(storeAs))
            throw new NotSupportedException($"tensor '{name}': cannot quantize to {storeAs}");
        return Add(new PendingTensor(name, storeAs, (long[])dims.Clone(), TensorBytes(storeAs, dims), null, fill));
    }

    /// <summary>Adds a tensor already encoded in <paramref name="type"/> (copied now).</summary>
    public GgufWriter AddTensorBytes(string name, GgmlType type, ReadOnlySpan<byte> bytes, params long[] dims)
    {
        CheckShape(name, type, dims);
        long expected = TensorBytes(type, dims);
        if (bytes.Length != expected)
            throw new ArgumentException($"tensor '{name}' of type {type} and shape [{string.Join(", ", dims)}] needs {expected} bytes, got {bytes.Length}");
        return Add(new PendingTensor(name, type, (long[])dims.Clone(), expected, bytes.ToArray(), null));
    }

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it, so a failed write leaves no half file.</summary>
    public void Write(string path)
    {
        string partial = path + ".partial";
        try
        {
            using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                Write(stream);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        Write(stream);
        return stream.ToArray();
    }

    /// <summary>Called while tensor data is written with (bytes written so far, final file size): for progress displays.</summary>
    public Action<long, long>? Progress { get; set; }

    /// <summary>The size in bytes of the file <see cref="Write(Stream)"/> would produce now (no tensor data is generated).</summary>
    public long FileSize
    {
        get
        {
            var offsets = WriteHeader(new CountingOutput(Stream.Null), out long headerBytes);
            return _tensors.Count == 0 ? headerBytes : headerBytes + offsets[^1] + _tensors[^1].ByteLength;
        }
    }

    /// <summary>Writes the whole file; every <see cref="TensorFill"/> runs once, in tensor order.</summary>
    public void Write(Stream stream)
    {
        long total = Progress is null ? 0 : FileSize;
        var output = new CountingOutput(stream);
        var offsets = WriteHeader(output, out long dataStart);
        for (int i = 0; i < _tensors.Count; i++)
        {
            output.Zeros(dataStart + offsets[i] - output.Position);
            WriteTensorData(output, _tensors[i], Progress is { } progress ? () => progress(output.Position, total) : null);
        }
        output.Flush();
    }

    /// <summary>Header, metadata and tensor infos, padded to the data section; returns each tensor's data offset.</summary>
    private long[] WriteHeader(CountingOutput output, out long dataStart)
    {
        var metadata = _metadata.ToList();
        if (Alignment != GgufFile.DefaultAlignment)
            metadata.Add(new(GgufFile.AlignmentKey, GgufValue.Of((uint)Alignment)));

        output.UInt32(GgufFile.Magic);
        output.UInt32(3);
        output.UInt64((ulong)_tensors.Count);
        output.UInt64((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            output.String(key);
            output.UInt32((uint)value.Type);
            WriteValue(output, value);
        }

        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            offsets[i] = offset;
            output.String(t.Name);
            output.UInt32((uint)t.Dimensions.Length);
            foreach (long d in t.Dimensions)
                output.UInt64((ulong)d);
            output.UInt32((uint)t.Type);
            output.UInt64((ulong)offset);
            offset = GgufParser.AlignUp(offset + t.ByteLength, Alignment);
        }

        // A file without tensors ends after its tensor infos, unpadded, as llama.cpp's vocab-only files do.
        if (_tensors.Count > 0)
            output.PadTo(Alignment);
        dataStart = output.Position;
        return offsets;
    }

    private static void WriteTensorData(CountingOutput output, PendingTensor t, Action? reportProgress)
    {
        if (t.Bytes is not null)
        {
            output.Bytes(t.Bytes);
            reportProgress?.Invoke();
            return;
        }
        long columns = t.Dimensions[0];
        long rows = t.Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
        int rowsPerChunk = (int)Math.Clamp(ChunkElements / columns, 1, rows);
        var values = new float[rowsPerChunk * columns];
        var encoded = new byte[GgmlTypeTraits.RowBytes(t.Type, columns) * rowsPerChunk];
        for (long row = 0; row < rows; row += rowsPerChunk)
        {
            int count = (int)Math.Min(rowsPerChunk, rows - row);
            var chunk = values.AsSpan(0, (int)(count * columns));
            chunk.Clear();
            t.Fill!(row, chunk);
            int byteCount = (int)(GgmlTypeTraits.RowBytes(t.Type, columns) * count);
            if (t.Type == GgmlType.F32 && BitConverter.IsLittleEndian)
                output.Bytes(MemoryMarshal.AsBytes(chunk));
            else
            {
                Quantizer.Quantize(t.Type, chunk, encoded.AsSpan(0, byteCount));
                output.Bytes(encoded.AsSpan(0, byteCount));
            }
            reportProgress?.Invoke();
        }
    }

    private static void WriteValue(CountingOutput output, GgufValue value)
    {
        switch (value.RawValue)
        {
            case string s: output.String(s); break;
            case bool b: output.UInt8(b ? (byte)1 : (byte)0); break;
            case byte v: output.UInt8(v); break;
            case sbyte v: output.UInt8((byte)v); break;
            case ushort v: output.UInt16(v); break;
            case short v: output.UInt16((ushort)v); break;
            case uint v: output.UInt32(v); break;
            case int v: output.UInt32((uint)v); break;
            case ulong v: output.UInt64(v); break;
            case long v: output.UInt64((ulong)v); break;
            case float v: output.UInt32(BitConverter.SingleToUInt32Bits(v)); break;
            case double v: output.UInt64(BitConverter.DoubleToUInt64Bits(v)); break;
            case Array array:
                output.UInt32((uint)value.ElementType);
                output.UInt64((ulong)array.Length);
                if (value.RawValue is GgufValue[] nested)
                {
                    foreach (var inner in nested)
                        WriteValue(output, inner);
                }
                else
                {
                    foreach (var element in array)
                        WriteValue(output, Box(value.ElementType, element!));
                }
                break;
            default:
                throw new InvalidOperationException($"cannot write metadata value {value.RawValue.GetType()}");
        }
    }

    private static GgufValue Box(GgufValueType type, object element) => element switch
    {
        string s => GgufValue.Of(s),
        _ => GgufValue.FromDecoded(type, element, type),
    };

    private GgufWriter Add(PendingTensor tensor)
    {
        if (!_tensorNames.Add(tensor.Name))
            throw new ArgumentException($"tensor '{tensor.Name}' was already added");
        _tensors.Add(tensor);
        return this;
    }

    private static long CheckShape(string name, GgmlType type, long[] dims)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length is 0 or > 4 || dims.Any(d => d <= 0))
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", dims)}] needs 1 to 4 positive dimensions");
        if (!GgmlTypeTraits.IsKnown(type))
            throw new NotSupportedException($"tensor '{name}': type {type} has no known block layout");
        if (dims[0] % GgmlTypeTraits.BlockSize(type) != 0)
            throw new ArgumentException($"tensor '{name}': innermost dimension {dims[0]} is not a whole number of {type} blocks of {GgmlTypeTraits.BlockSize(type)}");
        return dims.Aggregate(1L, (a, b) => checked(a * b));
    }

    private static long TensorBytes(GgmlType type, long[] dims) =>
        checked(GgmlTypeTraits.RowBytes(type, dims[0]) * dims.Skip(1).Aggregate(1L, (a, b) => checked(a * b)));

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteLength, byte[]? Bytes, TensorFill? Fill);

    /// <summary>Little-endian writes that track the position even on streams that cannot seek.</summary>
    private sealed class CountingOutput(Stream stream)
    {
        private readonly byte[] _scratch = new byte[8];

        public long Position { get; private set; }

        public void UInt8(byte v) => Bytes([v]);
        public void UInt16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_scratch, v); Bytes(_scratch.AsSpan(0, 2)); }
        public void UInt32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_scratch, v); Bytes(_scratch.AsSpan(0, 4)); }
        public void UInt64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_scratch, v); Bytes(_scratch.AsSpan(0, 8)); }

        public void String(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            UInt64((ulong)bytes.Length);
            Bytes(bytes);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            Position += bytes.Length;
        }

        public void Zeros(long count)
        {
            Span<byte> zeros = stackalloc byte[64];
            zeros.Clear();
            while (count > 0)
            {
                int n = (int)Math.Min(count, zeros.Length);
                Bytes(zeros[..n]);
                count -= n;
            }
        }

        public void PadTo(int alignment) => Zeros(GgufParser.AlignUp(Position, alignment) - Position);

        public void Flush() => stream.Flush();
    }
}
