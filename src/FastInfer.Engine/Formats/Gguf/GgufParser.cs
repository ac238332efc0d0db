using FastInfer.Kernels;

namespace FastInfer.Engine.Formats.Gguf;

/// <summary>Decodes and validates the GGUF header, metadata and tensor infos of a mapped file.</summary>
internal static class GgufParser
{
    private const int MaxDimensions = 4;
    // name length prefix + dim count + one dim + type + offset
    private const int MinimumTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
    // key length prefix + value type + the smallest value
    private const int MinimumKeyValueBytes = 8 + 4 + 1;

    private sealed record TensorInfo(string Name, GgmlType Type, long[] Dimensions, long RelativeOffset, long ByteLength, long InfoOffset, long NameOffset);

    public static GgufFile Parse(MappedFile file)
    {
        var cursor = new GgufCursor(file);
        uint magic = cursor.ReadUInt32("magic");
        if (magic != GgufFile.Magic)
            throw new GgufFormatException("magic", 0, $"0x{magic:X8} is not \"GGUF\"; this is not a GGUF file");
        uint version = cursor.ReadUInt32("version");
        if (version == 1)
            throw new GgufFormatException("version", 4, "GGUF version 1 is not supported (only versions 2 and 3); re-convert the model with a current llama.cpp");
        if (version is not (2 or 3))
        {
            string hint = (version & 0xFFFF) == 0 ? " (a big-endian GGUF file? only little-endian files are supported)" : "";
            throw new GgufFormatException("version", 4, $"unsupported GGUF version {version}{hint}");
        }
        long tensorCount = cursor.ReadCount("tensor count", MinimumTensorInfoBytes);
        long keyCount = cursor.ReadCount("metadata key/value count", MinimumKeyValueBytes);

        var metadata = new Dictionary<string, GgufValue>(InitialCapacity(keyCount), StringComparer.Ordinal);
        var offsets = new Dictionary<string, long>(InitialCapacity(keyCount), StringComparer.Ordinal);
        for (long i = 0; i < keyCount; i++)
        {
            long at = cursor.Position;
            string key = cursor.ReadString($"metadata key #{i}");
            string shown = Shorten(key);
            if (metadata.ContainsKey(key))
                throw new GgufFormatException($"metadata key '{shown}'", at, "the key appears twice");
            var type = cursor.ReadValueType($"metadata '{shown}' value type");
            offsets[key] = cursor.Position;
            metadata[key] = cursor.ReadValue($"metadata '{shown}'", type);
        }

        int alignment = ReadAlignment(metadata, offsets);

        var infos = new List<TensorInfo>(InitialCapacity(tensorCount));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            var info = ReadTensorInfo(cursor, i, alignment);
            if (!names.Add(info.Name))
                throw new GgufFormatException($"tensor '{Shorten(info.Name)}' name", info.NameOffset, "two tensors have this name");
            infos.Add(info);
        }

        long dataOffset = AlignUp(cursor.Position, alignment);
        var tensors = PlaceTensors(file, infos, dataOffset);
        return new GgufFile(file, (int)version, metadata, offsets, tensors, alignment, dataOffset);
    }

    private static int ReadAlignment(Dictionary<string, GgufValue> metadata, Dictionary<string, long> offsets)
    {
        if (!metadata.TryGetValue(GgufFile.AlignmentKey, out var value))
            return GgufFile.DefaultAlignment;
        long offset = offsets[GgufFile.AlignmentKey];
        uint alignment;
        try
        {
            alignment = value.AsUInt32();
        }
        catch (FormatException e)
        {
            throw new GgufFormatException(GgufFile.AlignmentKey, offset, e.Message);
        }
        if (!GgufFile.IsPowerOfTwo(alignment) || alignment > 1 << 30)
            throw new GgufFormatException(GgufFile.AlignmentKey, offset, $"alignment {alignment} is not a power of two");
        return (int)alignment;
    }

    private static TensorInfo ReadTensorInfo(GgufCursor cursor, long index, int alignment)
    {
        long infoOffset = cursor.Position;
        string name = cursor.ReadString($"tensor #{index} name");
        string field = $"tensor '{Shorten(name)}'";
        long dimsOffset = cursor.Position;
        uint dimCount = cursor.ReadUInt32(field + " dimension count");
        if (dimCount is 0 or > MaxDimensions)
            throw new GgufFormatException(field + " dimension count", dimsOffset, $"{dimCount} dimensions (1 to {MaxDimensions} allowed)");
        var dims = new long[dimCount];
        long elements = 1;
        for (int d = 0; d < dimCount; d++)
        {
            long at = cursor.Position;
            ulong dim = cursor.ReadUInt64($"{field} dimension {d}");
            if (dim == 0 || dim > long.MaxValue)
                throw new GgufFormatException($"{field} dimension {d}", at, $"dimension {(long)dim} is not positive");
            dims[d] = (long)dim;
            if (elements > long.MaxValue / dims[d])
                throw new GgufFormatException($"{field} dimensions", dimsOffset, "the element count overflows 64 bits");
            elements *= dims[d];
        }
        long typeOffset = cursor.Position;
        uint typeId = cursor.ReadUInt32(field + " type");
        var type = (GgmlType)typeId;
        if (!Enum.IsDefined(type) || !GgmlTypeTraits.IsKnown(type))
            throw new GgufFormatException(field + " type", typeOffset, $"unknown tensor type id {typeId}");
        long rowBytes = RowBytesOrThrow(type, dims[0], field + " dimension 0", dimsOffset);
        long rows = elements / dims[0];
        if (rowBytes > 0 && rows > long.MaxValue / rowBytes)
            throw new GgufFormatException($"{field} dimensions", dimsOffset, "the byte size overflows 64 bits");
        long byteLength = rowBytes * rows;
        long offsetAt = cursor.Position;
        ulong offset = cursor.ReadUInt64(field + " offset");
        if (offset > long.MaxValue)
            throw new GgufFormatException(field + " offset", offsetAt, $"offset {offset} is past the end of the file");
        if ((long)offset % alignment != 0)
            throw new GgufFormatException(field + " offset", offsetAt, $"offset {offset} is not a multiple of the alignment {alignment}");
        return new TensorInfo(name, type, dims, (long)offset, byteLength, offsetAt, infoOffset);
    }

    private static List<TensorView> PlaceTensors(MappedFile file, List<TensorInfo> infos, long dataOffset)
    {
        long dataBytes = file.Length - dataOffset;
        foreach (var info in infos)
        {
            if (info.RelativeOffset > dataBytes || info.ByteLength > dataBytes - info.RelativeOffset)
                throw new GgufFormatException($"tensor '{Shorten(info.Name)}' data", info.InfoOffset,
                    $"{info.ByteLength} bytes at data offset {info.RelativeOffset} (file byte {dataOffset + info.RelativeOffset}) run past the end of the file ({file.Length} bytes; truncated?)");
        }
        var byStart = infos.OrderBy(t => t.RelativeOffset).ToList();
        for (int i = 1; i < byStart.Count; i++)
        {
            var previous = byStart[i - 1];
            if (byStart[i].RelativeOffset < previous.RelativeOffset + previous.ByteLength)
                throw new GgufFormatException($"tensor '{Shorten(byStart[i].Name)}' offset", byStart[i].InfoOffset,
                    $"its data at {byStart[i].RelativeOffset} overlaps tensor '{Shorten(previous.Name)}' ({previous.RelativeOffset}..{previous.RelativeOffset + previous.ByteLength})");
        }
        return infos.Select(t => new TensorView(t.Name, t.Type, t.Dimensions, file.Pointer + (nint)(dataOffset + t.RelativeOffset), t.ByteLength)).ToList();
    }

    private static long RowBytesOrThrow(GgmlType type, long columns, string field, long offset)
    {
        int block = GgmlTypeTraits.BlockSize(type);
        if (columns % block != 0)
            throw new GgufFormatException(field, offset,
                $"innermost dimension {columns} is not a whole number of {type} blocks of {block}");
        long blocks = columns / block;
        if (blocks > long.MaxValue / GgmlTypeTraits.BlockBytes(type))
            throw new GgufFormatException(field, offset, $"a row of {columns} {type} elements overflows 64 bits of bytes");
        return blocks * GgmlTypeTraits.BlockBytes(type);
    }

    /// <summary>A name from the file as it appears in an error message: at most 100 characters.</summary>
    private static string Shorten(string name) => name.Length <= 100 ? name : name[..100] + "…";

    // Counts are only bounded by the file size, so collections grow as entries actually parse.
    private static int InitialCapacity(long count) => (int)Math.Min(count, 4096);

    internal static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
