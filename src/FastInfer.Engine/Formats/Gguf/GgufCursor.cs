using System.Buffers.Binary;
using System.Text;

namespace FastInfer.Engine.Formats.Gguf;

/// <summary>
/// Sequential little-endian reads over the mapped file. Every read checks the bytes remain first, and
/// every count read from the file is checked against the bytes left before anything is allocated from it.
/// </summary>
internal sealed class GgufCursor(MappedFile file)
{
    private const int MaxArrayNesting = 16;

    public long Position { get; private set; }

    public long Remaining => file.Length - Position;

    public ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > Remaining)
            throw Truncated(field, count);
        var span = file.Span(Position, count);
        Position += count;
        return span;
    }

    public byte ReadUInt8(string field) => Take(1, field)[0];
    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));
    public ulong ReadUInt64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

    /// <summary>A count or length, checked to be at most what the rest of the file could hold.</summary>
    public long ReadCount(string field, long minimumBytesEach)
    {
        long at = Position;
        ulong count = ReadUInt64(field);
        if (count > (ulong)Math.Max(0, Remaining) / (ulong)minimumBytesEach)
            throw new GgufFormatException(field, at,
                $"count {count} needs at least {count}×{minimumBytesEach} bytes but only {Remaining} remain");
        return (long)count;
    }

    /// <summary>A length-prefixed UTF-8 string; <paramref name="index"/> names an array element in errors (formatted only on failure).</summary>
    public string ReadString(string field, int index = -1)
    {
        long at = Position;
        if (Remaining < 8)
            throw Truncated(Element(field, index) + " length", 8);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(Position, 8));
        Position += 8;
        if (length > (ulong)Math.Min(Remaining, int.MaxValue))
            throw new GgufFormatException(Element(field, index) + " length", at,
                $"string of {length} bytes is longer than the {Remaining} bytes that remain");
        return Encoding.UTF8.GetString(Take((int)length, field));
    }

    private static string Element(string field, int index) => index < 0 ? field : $"{field}[{index}]";

    public GgufValue ReadValue(string field, GgufValueType type, int depth = 0) => type switch
    {
        GgufValueType.Array => ReadArray(field, depth),
        GgufValueType.String => GgufValue.Of(ReadString(field)),
        _ => GgufValue.FromDecoded(type, ReadScalar(field, type), type),
    };

    public GgufValueType ReadValueType(string field)
    {
        long at = Position;
        uint id = ReadUInt32(field);
        if (id > (uint)GgufValueType.Float64)
            throw new GgufFormatException(field, at, $"unknown metadata value type {id}");
        return (GgufValueType)id;
    }

    private object ReadScalar(string field, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => ReadUInt8(field),
        GgufValueType.Int8 => (sbyte)ReadUInt8(field),
        GgufValueType.UInt16 => ReadUInt16(field),
        GgufValueType.Int16 => (short)ReadUInt16(field),
        GgufValueType.UInt32 => ReadUInt32(field),
        GgufValueType.Int32 => (int)ReadUInt32(field),
        GgufValueType.UInt64 => ReadUInt64(field),
        GgufValueType.Int64 => (long)ReadUInt64(field),
        GgufValueType.Float32 => BitConverter.UInt32BitsToSingle(ReadUInt32(field)),
        GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(ReadUInt64(field)),
        GgufValueType.Bool => ReadBool(field),
        _ => throw new InvalidOperationException($"{type} is not a scalar"),
    };

    private bool ReadBool(string field)
    {
        long at = Position;
        byte b = ReadUInt8(field);
        return b <= 1 ? b == 1 : throw new GgufFormatException(field, at, $"bool byte is {b}, not 0 or 1");
    }

    private GgufValue ReadArray(string field, int depth)
    {
        long at = Position;
        if (depth >= MaxArrayNesting)
            throw new GgufFormatException(field, at, $"arrays nested deeper than {MaxArrayNesting} levels");
        var elementType = ReadValueType(field + " element type");
        long count = ReadCount(field + " count", MinimumBytes(elementType));
        int n = checked((int)Math.Min(count, int.MaxValue));
        if (n != count)
            throw new GgufFormatException(field, at, $"array of {count} elements is too long");
        switch (elementType)
        {
            case GgufValueType.String:
                var strings = new string[n];
                for (int i = 0; i < n; i++)
                    strings[i] = ReadString(field, i);
                return GgufValue.Of(strings);
            case GgufValueType.Array:
                var arrays = new GgufValue[n];
                for (int i = 0; i < n; i++)
                    arrays[i] = ReadArray($"{field}[{i}]", depth + 1);
                return GgufValue.Of(arrays);
            default:
                return GgufValue.FromDecoded(GgufValueType.Array, ReadScalarArray(field, elementType, n), elementType);
        }
    }

    private Array ReadScalarArray(string field, GgufValueType type, int n)
    {
        var bytes = Take(checked(n * MinimumBytes(type)), field);
        switch (type)
        {
            case GgufValueType.UInt8: return bytes.ToArray();
            case GgufValueType.Int8: return Decode<sbyte>(bytes, n);
            case GgufValueType.UInt16: return Decode<ushort>(bytes, n);
            case GgufValueType.Int16: return Decode<short>(bytes, n);
            case GgufValueType.UInt32: return Decode<uint>(bytes, n);
            case GgufValueType.Int32: return Decode<int>(bytes, n);
            case GgufValueType.UInt64: return Decode<ulong>(bytes, n);
            case GgufValueType.Int64: return Decode<long>(bytes, n);
            case GgufValueType.Float32: return Decode<float>(bytes, n);
            case GgufValueType.Float64: return Decode<double>(bytes, n);
            case GgufValueType.Bool:
                var bools = new bool[n];
                for (int i = 0; i < n; i++)
                {
                    if (bytes[i] > 1)
                        throw new GgufFormatException($"{field}[{i}]", Position - n + i, $"bool byte is {bytes[i]}, not 0 or 1");
                    bools[i] = bytes[i] == 1;
                }
                return bools;
            default:
                throw new InvalidOperationException($"{type} is not a scalar");
        }
    }

    // GGUF is little-endian and so is every machine .NET runs FastInfer on, so elements copy as they lie.
    private static T[] Decode<T>(ReadOnlySpan<byte> bytes, int n) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("GGUF reading needs a little-endian machine");
        var result = new T[n];
        bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Fewest bytes one value of the type can occupy (a string is at least its length prefix).</summary>
    public static int MinimumBytes(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public GgufFormatException Truncated(string field, long needed) =>
        new(field, Position, $"needs {needed} bytes but the file ends after {Math.Max(0, Remaining)} (truncated file)");
}
