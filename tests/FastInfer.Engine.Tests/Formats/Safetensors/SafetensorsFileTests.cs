using System.Buffers.Binary;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Tests.Formats.Safetensors;

/// <summary>Round trips through <see cref="SafetensorsWriter"/> and <see cref="SafetensorsFile"/>.</summary>
public class SafetensorsFileTests
{
    private static readonly float[] Values = [1f, -2.5f, 0.1f, 3.14159f, -0f, 65504f, 1e-3f, -7.75f, 0.333f, 1024.5f, -1e-6f, 42f];

    [Theory]
    [InlineData(SafetensorsDType.F32, GgmlType.F32)]
    [InlineData(SafetensorsDType.F16, GgmlType.F16)]
    [InlineData(SafetensorsDType.BF16, GgmlType.BF16)]
    public unsafe void FloatTensorsRoundTripAsZeroCopyViews(SafetensorsDType dtype, GgmlType ggml)
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.AddFloats("first", SafetensorsDType.F32, [5f, 6f], 2);
        writer.AddFloats("matrix", dtype, Values, 3, 4);
        writer.Write(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(["first", "matrix"], file.Tensors.Select(t => t.Name));
        var info = file.Find("matrix")!;
        Assert.Equal(dtype, info.DType);
        Assert.Equal([3L, 4L], info.Shape);
        Assert.Equal(8, info.Begin);

        var view = file.View(info);
        Assert.Equal(ggml, view.Type);
        Assert.Equal([4L, 3L], view.Dimensions);
        Assert.Equal(file.DataPointer(info), view.Data);
        Assert.Equal(Values.Length * SafetensorsDTypes.ElementBytes(dtype), view.ByteLength);
        var matrix = view.AsMatrix();
        Assert.Equal(3, matrix.Rows);
        Assert.Equal(4, matrix.Columns);

        var bytes = file.Bytes(info);
        for (int i = 0; i < Values.Length; i++)
        {
            float expected = dtype switch
            {
                SafetensorsDType.F32 => Values[i],
                SafetensorsDType.F16 => Fp16.HalfToFloat(Fp16.FloatToHalf(Values[i])),
                _ => Fp16.BFloat16ToFloat(Fp16.FloatToBFloat16(Values[i])),
            };
            float actual = dtype switch
            {
                SafetensorsDType.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]),
                SafetensorsDType.F16 => Fp16.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..])),
                _ => Fp16.BFloat16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..])),
            };
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
        }
        Assert.Equal([5f, 6f], file.View(file.Find("first")!).AsF32Span().ToArray());
    }

    [Fact]
    public void HeaderIsPaddedSoTheDataBufferIsEightByteAligned()
    {
        using var folder = new TempFolder();
        string path = folder.File("a.safetensors");
        var writer = new SafetensorsWriter();
        writer.AddFloats("x", SafetensorsDType.F32, [1f], 1);
        writer.Write(path);
        var bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0ul, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + 4, bytes.Length);
    }

    [Fact]
    public void EmptyAndScalarTensorsAreAccepted()
    {
        using var folder = new TempFolder();
        string path = folder.File("a.safetensors");
        RawSafetensors.Write(path, """{"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", 4);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(0, file.Find("empty")!.ByteLength);
        var scalar = file.View(file.Find("scalar")!);
        Assert.Equal([1L], scalar.Dimensions);
        Assert.Equal(1, scalar.ElementCount);
    }

    [Theory]
    [InlineData("I8", 1)]
    [InlineData("F64", 8)]
    [InlineData("U8", 1)]
    [InlineData("F8_E4M3", 1)]
    public void KnownDtypesFastInferCannotComputeWithAreReportedWhenViewed(string dtype, int size)
    {
        using var folder = new TempFolder();
        string path = folder.File("q.safetensors");
        RawSafetensors.Write(path, "{\"model.layers.0.mlp.up_proj.weight\":{\"dtype\":\"" + dtype + "\",\"shape\":[2,2],\"data_offsets\":[0," + 4 * size + "]}}", 4 * size);
        using var file = SafetensorsFile.Open(path);
        var info = file.Tensors.Single();
        Assert.Equal(4 * size, file.Bytes(info).Length);
        var e = Assert.Throws<NotSupportedException>(() => file.View(info));
        Assert.Contains("model.layers.0.mlp.up_proj.weight", e.Message);
        Assert.Contains(dtype, e.Message);
        Assert.Contains("F32, F16 and BF16", e.Message);
    }

    [Fact]
    public void EntriesOfAnotherFileAreRefused()
    {
        using var folder = new TempFolder();
        var writer = new SafetensorsWriter();
        writer.AddFloats("x", SafetensorsDType.F32, [1f], 1);
        writer.Write(folder.File("a.safetensors"));
        writer.Write(folder.File("b.safetensors"));
        using var a = SafetensorsFile.Open(folder.File("a.safetensors"));
        using var b = SafetensorsFile.Open(folder.File("b.safetensors"));
        Assert.Throws<ArgumentException>(() => a.View(b.Tensors[0]));
        Assert.Throws<ArgumentException>(() => a.View(a.Tensors[0] with { End = 100 }));
    }

    [Fact]
    public void WriterRejectsDataOfTheWrongSizeAndDuplicateNames()
    {
        var writer = new SafetensorsWriter();
        Assert.Throws<ArgumentException>(() => writer.Add("x", SafetensorsDType.F16, [3], new byte[4]));
        writer.AddFloats("x", SafetensorsDType.F32, [1f], 1);
        Assert.Throws<ArgumentException>(() => writer.AddFloats("x", SafetensorsDType.F32, [1f], 1));
        Assert.Throws<ArgumentException>(() => writer.AddFloats("y", SafetensorsDType.I8, [1f], 1));
    }
}
