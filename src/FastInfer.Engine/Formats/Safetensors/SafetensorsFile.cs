using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using FastInfer.Kernels;

namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>
/// A memory-mapped safetensors file: u64 little-endian header length N, N bytes of UTF-8 JSON describing each
/// tensor (dtype, row-major shape, byte range in the data buffer), then the data buffer. The whole header is
/// validated on open, so views handed out afterwards always lie inside the mapping. Views are zero-copy and
/// die with this object.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _accessor;
    private readonly byte* _base;
    private readonly long _bufferStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor accessor, byte* basePointer,
        long bufferStart, long bufferLength, SafetensorsHeader header)
    {
        Path = path;
        _mapping = mapping;
        _accessor = accessor;
        _base = basePointer;
        _bufferStart = bufferStart;
        BufferLength = bufferLength;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>Tensor entries in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Bytes in the data buffer after the header.</summary>
    public long BufferLength { get; }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"safetensors file '{path}' does not exist", path);
        long fileLength = new FileInfo(path).Length;
        if (fileLength < SafetensorsHeader.LengthPrefixBytes)
            throw new SafetensorsFormatException(path, $"the file is {fileLength} bytes, too short for the 8-byte header length", 0);

        var mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? accessor = null;
        byte* pointer = null;
        try
        {
            accessor = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            byte* basePointer = pointer + accessor.PointerOffset;

            ulong jsonLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePointer, 8));
            long available = fileLength - SafetensorsHeader.LengthPrefixBytes;
            if (jsonLength > (ulong)available)
                throw new SafetensorsFormatException(path, $"header length {jsonLength} runs past the end of the {fileLength}-byte file", 0);
            if (jsonLength > SafetensorsHeader.MaxJsonBytes)
                throw new SafetensorsFormatException(path, $"header length {jsonLength} exceeds the format's limit of {SafetensorsHeader.MaxJsonBytes} bytes", 0);
            if (jsonLength < 2)
                throw new SafetensorsFormatException(path, $"header length {jsonLength} is too short for a JSON object", 0);

            var json = new ReadOnlySpan<byte>(basePointer + SafetensorsHeader.LengthPrefixBytes, (int)jsonLength);
            long bufferStart = SafetensorsHeader.LengthPrefixBytes + (long)jsonLength;
            long bufferLength = fileLength - bufferStart;
            var header = SafetensorsHeader.Parse(path, json, bufferLength);
            return new SafetensorsFile(path, mapping, accessor, basePointer, bufferStart, bufferLength, header);
        }
        catch
        {
            if (pointer != null)
                accessor!.SafeMemoryMappedViewHandle.ReleasePointer();
            accessor?.Dispose();
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>The entry with this name, or null.</summary>
    public SafetensorsTensorInfo? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Address of the tensor's first byte inside the mapping.</summary>
    public nint DataPointer(SafetensorsTensorInfo tensor)
    {
        RequireOwn(tensor);
        return (nint)(_base + _bufferStart + tensor.Begin);
    }

    /// <summary>The tensor's raw bytes, in place.</summary>
    public ReadOnlySpan<byte> Bytes(SafetensorsTensorInfo tensor)
    {
        if (tensor.ByteLength > int.MaxValue)
            throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.ByteLength} bytes, too large for one span");
        return new ReadOnlySpan<byte>((void*)DataPointer(tensor), (int)tensor.ByteLength);
    }

    /// <summary>
    /// The tensor as a zero-copy <see cref="TensorView"/> (ggml-ordered dims) under <paramref name="viewName"/>
    /// (defaults to its own name); NotSupportedException naming it when its dtype is not one FastInfer computes with.
    /// </summary>
    public TensorView View(SafetensorsTensorInfo tensor, string? viewName = null)
    {
        var type = SafetensorsDTypes.ToGgmlType(tensor.DType) ?? throw new NotSupportedException(
            $"tensor '{tensor.Name}' in {System.IO.Path.GetFileName(Path)} is stored as {tensor.DType}; " +
            $"FastInfer reads {SafetensorsDTypes.SupportedList} safetensors");
        return new TensorView(viewName ?? tensor.Name, type, tensor.GgmlDimensions, DataPointer(tensor), tensor.ByteLength);
    }

    private void RequireOwn(SafetensorsTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Only entries this file validated may be turned into pointers.
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to {System.IO.Path.GetFileName(Path)}", nameof(tensor));
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
        _accessor.Dispose();
        _mapping.Dispose();
    }
}
