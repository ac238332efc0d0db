using System.Buffers.Binary;
using System.Text;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>Builds GGUF bytes field by field, including the invalid files the real writer refuses to make.</summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();

    public long Position => _bytes.Position;

    public static RawGguf Header(ulong tensorCount, ulong keyCount, uint version = 3) =>
        new RawGguf().U32(GgufFile.Magic).U32(version).U64(tensorCount).U64(keyCount);

    public RawGguf U8(byte v) { _bytes.WriteByte(v); return this; }

    public RawGguf U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _bytes.Write(b);
        return this;
    }

    public RawGguf U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        _bytes.Write(b);
        return this;
    }

    public RawGguf Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        U64((ulong)b.Length);
        _bytes.Write(b);
        return this;
    }

    public RawGguf KeyU32(string key, uint value) => Str(key).U32((uint)GgufValueType.UInt32).U32(value);

    public RawGguf Tensor(string name, GgmlType type, ulong offset, params ulong[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims)
            U64(d);
        return U32((uint)type).U64(offset);
    }

    public RawGguf PadTo(int alignment)
    {
        while (_bytes.Position % alignment != 0)
            _bytes.WriteByte(0);
        return this;
    }

    public RawGguf Zeros(int count)
    {
        _bytes.Write(new byte[count]);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();
}
