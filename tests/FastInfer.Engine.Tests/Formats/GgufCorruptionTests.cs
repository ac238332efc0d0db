using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>Each kind of bad GGUF file gives a <see cref="GgufFormatException"/> naming the field and its offset.</summary>
public class GgufCorruptionTests
{
    private static GgufFormatException OpenFails(byte[] bytes, string field, long offset)
    {
        using var temp = TempFile.With(bytes);
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(temp.Path).Dispose());
        Assert.Contains(field, e.Field);
        Assert.Equal(offset, e.Offset);
        Assert.Contains($"at byte {offset}", e.Message);
        return e;
    }

    /// <summary>A valid file: two tensors (F32 then Q8_0) and two keys.</summary>
    private static byte[] ValidFile() => new GgufWriter()
        .SetMetadata("general.architecture", GgufValue.Of("llama"))
        .SetMetadata("count", GgufValue.Of(3u))
        .AddTensor("a", GgmlType.F32, new float[8], 8)
        .AddTensor("b", GgmlType.Q8_0, new float[64], 32, 2)
        .ToArray();

    [Fact]
    public void EmptyFile() => OpenFails([], "magic", 0);

    [Fact]
    public void WrongMagic()
    {
        var bytes = ValidFile();
        bytes[0] = (byte)'X';
        Assert.Contains("not a GGUF file", OpenFails(bytes, "magic", 0).Message);
    }

    [Fact]
    public void VersionOneIsRejectedClearly() =>
        Assert.Contains("version 1 is not supported", OpenFails(RawGguf.Header(0, 0, version: 1).ToArray(), "version", 4).Message);

    [Fact]
    public void UnknownVersion() => OpenFails(RawGguf.Header(0, 0, version: 7).ToArray(), "version", 4);

    [Fact]
    public void VersionTwoIsRead()
    {
        using var temp = TempFile.With(RawGguf.Header(0, 1, version: 2).KeyU32("k", 9).ToArray());
        using var file = GgufFile.Open(temp.Path);
        Assert.Equal(2, file.Version);
        Assert.Equal(9u, file.GetUInt32("k"));
    }

    [Fact]
    public void TruncatedHeader() => OpenFails(ValidFile()[..12], "tensor count", 8);

    [Fact]
    public void AbsurdTensorCount() => Assert.Contains("count", OpenFails(RawGguf.Header(1UL << 40, 0).ToArray(), "tensor count", 8).Message);

    [Fact]
    public void AbsurdKeyCount() => OpenFails(RawGguf.Header(0, ulong.MaxValue).ToArray(), "metadata key/value count", 16);

    [Fact]
    public void TruncatedKey() => OpenFails(RawGguf.Header(0, 1).U64(10).Zeros(5).ToArray(), "metadata key #0 length", 24);

    [Fact]
    public void AbsurdStringLength() => OpenFails(RawGguf.Header(0, 1).U64(1UL << 40).Zeros(40).ToArray(), "metadata key #0 length", 24);

    [Fact]
    public void AbsurdArrayCount()
    {
        var bytes = RawGguf.Header(0, 1).Str("arr").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.UInt32).U64(1UL << 50).Zeros(16).ToArray();
        OpenFails(bytes, "metadata 'arr' count", 24 + 8 + 3 + 4 + 4);
    }

    [Fact]
    public void TruncatedArray()
    {
        var bytes = RawGguf.Header(0, 1).Str("arr").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.Float32).U64(3).U32(0).ToArray();
        OpenFails(bytes[..^1], "metadata 'arr' count", 24 + 8 + 3 + 4 + 4);
        // With enough bytes for the count check but a string element cut short:
        var strings = RawGguf.Header(0, 1).Str("s").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(2).Str("ok").U64(5).U8(1).ToArray();
        OpenFails(strings, "metadata 's'[1] length", strings.Length - 9);
    }

    [Fact]
    public void UnknownValueType() =>
        Assert.Contains("unknown metadata value type 13", OpenFails(RawGguf.Header(0, 1).Str("k").U32(13).U32(0).ToArray(), "metadata 'k' value type", 33).Message);

    [Fact]
    public void UnknownArrayElementType() =>
        OpenFails(RawGguf.Header(0, 1).Str("k").U32((uint)GgufValueType.Array).U32(99).U64(0).ToArray(), "metadata 'k' element type", 37);

    [Fact]
    public void InvalidBool() => OpenFails(RawGguf.Header(0, 1).Str("k").U32((uint)GgufValueType.Bool).U8(2).ToArray(), "metadata 'k'", 37);

    [Fact]
    public void ArraysNestedTooDeep()
    {
        var raw = RawGguf.Header(0, 1).Str("k").U32((uint)GgufValueType.Array);
        for (int i = 0; i < 40; i++)
            raw.U32((uint)GgufValueType.Array).U64(1);
        raw.U32((uint)GgufValueType.UInt8).U64(0);
        Assert.Contains("nested", OpenFails(raw.ToArray(), "metadata 'k'", 37 + 16 * 12).Message);
    }

    [Fact]
    public void DuplicateKey() => OpenFails(RawGguf.Header(0, 2).KeyU32("k", 1).KeyU32("k", 2).ToArray(), "metadata key 'k'", 24 + 8 + 1 + 4 + 4);

    [Fact]
    public void NamesFromTheFileAreShortenedInMessages()
    {
        string key = new('k', 5000);
        var e = OpenFails(RawGguf.Header(0, 2).KeyU32(key, 1).KeyU32(key, 2).ToArray(), "metadata key 'kkk", 24 + 8 + 5000 + 4 + 4);
        Assert.InRange(e.Message.Length, 100, 300);
    }

    [Fact]
    public void AlignmentNotAPowerOfTwo() =>
        OpenFails(RawGguf.Header(0, 1).KeyU32(GgufFile.AlignmentKey, 48).ToArray(), GgufFile.AlignmentKey, 24 + 8 + 17 + 4);

    [Fact]
    public void AlignmentOfWrongType() =>
        OpenFails(RawGguf.Header(0, 1).Str(GgufFile.AlignmentKey).U32((uint)GgufValueType.String).Str("32").ToArray(), GgufFile.AlignmentKey, 24 + 8 + 17 + 4);

    private static byte[] OneTensor(GgmlType type, ulong offset, ulong[] dims, int dataBytes) =>
        RawGguf.Header(1, 0).Tensor("t", type, offset, dims).PadTo(32).Zeros(dataBytes).ToArray();

    // Header 24, then the name "t" (8 + 1) starts the tensor info; the dimension count is at 33.
    private const int DimCountAt = 33;

    [Fact]
    public void TensorInfoTruncated()
    {
        // A long name gets past the tensor-count plausibility check, so the cut lands inside the info.
        const string name = "a_rather_long_tensor_name";
        var bytes = RawGguf.Header(1, 0).Tensor(name, GgmlType.F32, 0, 4).ToArray();
        int typeAt = 24 + 8 + name.Length + 4 + 8;
        OpenFails(bytes[..(typeAt + 2)], $"tensor '{name}' type", typeAt);
    }

    [Fact]
    public void TooManyDimensions() =>
        OpenFails(OneTensor(GgmlType.F32, 0, [1, 1, 1, 1, 1], 64), "tensor 't' dimension count", DimCountAt);

    [Fact]
    public void ZeroDimensions()
    {
        OpenFails(OneTensor(GgmlType.F32, 0, [], 64), "tensor 't' dimension count", DimCountAt);
        OpenFails(OneTensor(GgmlType.F32, 0, [4, 0], 64), "tensor 't' dimension 1", DimCountAt + 4 + 8);
    }

    [Fact]
    public void NegativeDimension() => OpenFails(OneTensor(GgmlType.F32, 0, [ulong.MaxValue], 64), "tensor 't' dimension 0", DimCountAt + 4);

    [Fact]
    public void ElementCountOverflow() =>
        Assert.Contains("overflows", OpenFails(OneTensor(GgmlType.F32, 0, [1UL << 32, 1UL << 32, 1UL << 32], 64), "tensor 't' dimensions", DimCountAt).Message);

    [Fact]
    public void ByteSizeOverflow() =>
        OpenFails(OneTensor(GgmlType.F32, 0, [1UL << 31, 1UL << 31], 64), "tensor 't' dimensions", DimCountAt);

    [Fact]
    public void UnknownTensorType()
    {
        Assert.Contains("unknown tensor type id 99", OpenFails(OneTensor((GgmlType)99, 0, [4], 64), "tensor 't' type", DimCountAt + 4 + 8).Message);
        OpenFails(OneTensor((GgmlType)4, 0, [32], 64), "tensor 't' type", DimCountAt + 4 + 8); // Q4_2, long removed from ggml
    }

    [Fact]
    public void RowNotWholeBlocks() => OpenFails(OneTensor(GgmlType.Q8_0, 0, [33], 64), "tensor 't' dimension 0", DimCountAt);

    [Fact]
    public void DataPastEndOfFile() =>
        Assert.Contains("past the end", OpenFails(OneTensor(GgmlType.F32, 0, [4, 4], 63), "tensor 't' data", DimCountAt + 4 + 16 + 4).Message);

    [Fact]
    public void OffsetPastEndOfFile() => OpenFails(OneTensor(GgmlType.F32, 1UL << 62, [4], 64), "tensor 't' data", DimCountAt + 4 + 8 + 4);

    [Fact]
    public void MisalignedOffset() =>
        Assert.Contains("alignment", OpenFails(OneTensor(GgmlType.F32, 4, [4], 64), "tensor 't' offset", DimCountAt + 4 + 8 + 4).Message);

    [Fact]
    public void OverlappingTensors()
    {
        var raw = RawGguf.Header(2, 0).Tensor("a", GgmlType.F32, 0, 16);
        long secondOffsetAt = raw.Position + 8 + 1 + 4 + 8 + 4;
        var bytes = raw.Tensor("b", GgmlType.F32, 32, 16).PadTo(32).Zeros(128).ToArray();
        Assert.Contains("overlaps tensor 'a'", OpenFails(bytes, "tensor 'b' offset", secondOffsetAt).Message);
    }

    [Fact]
    public void DuplicateTensorNames()
    {
        var raw = RawGguf.Header(2, 0).Tensor("a", GgmlType.F32, 0, 8);
        long second = raw.Position;
        var bytes = raw.Tensor("a", GgmlType.F32, 32, 8).PadTo(32).Zeros(64).ToArray();
        OpenFails(bytes, "tensor 'a' name", second);
    }
}
