using System.Buffers.Binary;

namespace FastInfer.Engine.Tokenizers.SentencePiece;

/// <summary>
/// Just enough of the protobuf wire format to read a SentencePiece model: varints, fixed32/64 and
/// length-delimited fields, each bounds-checked against the enclosing message.
/// </summary>
internal ref struct ProtobufReader
{
    public const int VarintWire = 0;
    public const int Fixed64Wire = 1;
    public const int LengthDelimitedWire = 2;
    public const int Fixed32Wire = 5;

    private readonly ReadOnlySpan<byte> _message;
    private readonly long _baseOffset;
    private readonly string _kind;
    private readonly int _index;
    private int _position;

    /// <param name="index">
    /// Which element of a repeated field this message is; error messages write it into "[]" in field names, so
    /// callers pass constant names and nothing is formatted unless something is wrong.
    /// </param>
    public ProtobufReader(ReadOnlySpan<byte> message, long baseOffset, string kind, int index = -1)
    {
        _message = message;
        _baseOffset = baseOffset;
        _kind = kind;
        _index = index;
    }

    public readonly bool AtEnd => _position >= _message.Length;

    /// <summary>File offset of the next byte to read.</summary>
    public readonly long Offset => _baseOffset + _position;

    public bool TryReadTag(out int field, out int wireType)
    {
        field = wireType = 0;
        if (AtEnd)
            return false;
        long at = Offset;
        ulong tag = ReadVarint("field tag");
        field = (int)Math.Min(tag >> 3, int.MaxValue);
        wireType = (int)(tag & 7);
        if (field == 0)
            throw Error("field tag", at, "field number 0");
        return true;
    }

    public ulong ReadVarint(string what) => ReadVarint(what, "");

    private ulong ReadVarint(string what, string suffix)
    {
        long at = Offset;
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (AtEnd)
                throw Error(what + suffix, at, "varint runs past the end of its message");
            byte b = _message[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw Error(what + suffix, at, "varint longer than 10 bytes");
    }

    public float ReadFixed32Float(string what)
    {
        var bytes = Take(4, what);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    /// <summary>A length-delimited field's bytes, and the file offset where they start.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited(string what, out long start)
    {
        long at = Offset;
        ulong length = ReadVarint(what, " length");
        if (length > (ulong)(_message.Length - _position))
            throw Error(what, at, $"length {length} runs past the end of its message ({_message.Length - _position} bytes left)");
        start = Offset;
        return Take((int)length, what);
    }

    public void Skip(int wireType, string what)
    {
        switch (wireType)
        {
            case VarintWire: ReadVarint(what); break;
            case Fixed64Wire: Take(8, what); break;
            case LengthDelimitedWire: ReadLengthDelimited(what, out _); break;
            case Fixed32Wire: Take(4, what); break;
            default: throw Error(what, Offset, $"unsupported wire type {wireType}");
        }
    }

    public readonly TokenizerFormatException Error(string what, long offset, string problem) =>
        new(_kind, _index >= 0 ? what.Replace("[]", $"[{_index}]") : what, offset, problem);

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (_message.Length - _position < count)
            throw Error(what, Offset, $"needs {count} bytes, {_message.Length - _position} left in its message");
        var bytes = _message.Slice(_position, count);
        _position += count;
        return bytes;
    }
}
