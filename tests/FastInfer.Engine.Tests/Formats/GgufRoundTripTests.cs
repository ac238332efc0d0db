using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Tests.Formats;

public class GgufRoundTripTests
{
    private static float[] Ramp(int n, float scale = 0.37f) =>
        Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.91f) * scale * (1 + i % 7)).ToArray();

    [Fact]
    public void EveryMetadataTypeRoundTrips()
    {
        var writer = new GgufWriter()
            .SetMetadata("u8", GgufValue.Of((byte)200))
            .SetMetadata("i8", GgufValue.Of((sbyte)-100))
            .SetMetadata("u16", GgufValue.Of((ushort)60000))
            .SetMetadata("i16", GgufValue.Of((short)-30000))
            .SetMetadata("u32", GgufValue.Of(4_000_000_000u))
            .SetMetadata("i32", GgufValue.Of(-2_000_000_000))
            .SetMetadata("u64", GgufValue.Of(ulong.MaxValue))
            .SetMetadata("i64", GgufValue.Of(long.MinValue))
            .SetMetadata("f32", GgufValue.Of(1.5e-5f))
            .SetMetadata("f64", GgufValue.Of(Math.PI))
            .SetMetadata("bool", GgufValue.Of(true))
            .SetMetadata("str", GgufValue.Of("héllo ▁wörld"))
            .SetMetadata("strs", GgufValue.Of(["<unk>", "", "▁a", "<0x0A>"]))
            .SetMetadata("floats", GgufValue.Of([0f, -1.25f, float.MaxValue]))
            .SetMetadata("ints", GgufValue.Of([1, -2, int.MaxValue]))
            .SetMetadata("bytes", GgufValue.Of(new byte[] { 1, 2, 255 }))
            .SetMetadata("bools", GgufValue.Of([true, false, true]))
            .SetMetadata("u64s", GgufValue.Of(new ulong[] { 1, ulong.MaxValue }))
            .SetMetadata("f64s", GgufValue.Of([1.0, -2.5]))
            .SetMetadata("nested", GgufValue.Of([GgufValue.Of([1, 2]), GgufValue.Of(["x", "y", "z"]), GgufValue.Of([GgufValue.Of([7u])])]))
            .SetMetadata("empty", GgufValue.Of(Array.Empty<string>()));
        using var temp = TempFile.With(writer.ToArray());
        using var file = GgufFile.Open(temp.Path);

        Assert.Equal(3, file.Version);
        Assert.Equal(21, file.Metadata.Count);
        Assert.Equal(200u, file.GetUInt32("u8"));
        Assert.Equal(-100, file.GetInt32("i8"));
        Assert.Equal(60000u, file.GetUInt32("u16"));
        Assert.Equal(-30000, file.GetInt32("i16"));
        Assert.Equal(4_000_000_000u, file.GetUInt32("u32"));
        Assert.Equal(-2_000_000_000, file.GetInt32("i32"));
        Assert.Equal(ulong.MaxValue, file.Metadata["u64"].AsUInt64());
        Assert.Equal(long.MinValue, file.Metadata["i64"].AsInt64());
        Assert.Equal(1.5e-5f, file.GetFloat32("f32"));
        Assert.Equal(Math.PI, file.Metadata["f64"].AsFloat64());
        Assert.True(file.GetBool("bool"));
        Assert.Equal("héllo ▁wörld", file.GetString("str"));
        Assert.Equal(["<unk>", "", "▁a", "<0x0A>"], file.Metadata["strs"].AsStringArray());
        Assert.Equal([0f, -1.25f, float.MaxValue], file.Metadata["floats"].AsFloatArray());
        Assert.Equal([1, -2, int.MaxValue], file.Metadata["ints"].AsIntArray());
        Assert.Equal([1, 2, 255], file.Metadata["bytes"].AsIntArray());
        Assert.Equal(new[] { true, false, true }, (bool[])file.Metadata["bools"].RawValue);
        Assert.Equal(new ulong[] { 1, ulong.MaxValue }, (ulong[])file.Metadata["u64s"].RawValue);
        Assert.Equal([1f, -2.5f], file.Metadata["f64s"].AsFloatArray());
        var nested = file.Metadata["nested"].AsArrayOfArrays();
        Assert.Equal([1, 2], nested[0].AsIntArray());
        Assert.Equal(["x", "y", "z"], nested[1].AsStringArray());
        Assert.Equal([7], nested[2].AsArrayOfArrays()[0].AsIntArray());
        Assert.Empty(file.Metadata["empty"].AsStringArray());
        Assert.Equal(GgufValueType.String, file.Metadata["empty"].ElementType);
    }

    [Fact]
    public void TypedGettersReportMissingKeysAndWrongTypesByName()
    {
        var writer = new GgufWriter().SetMetadata("name", GgufValue.Of("x")).SetMetadata("big", GgufValue.Of(5_000_000_000L));
        using var temp = TempFile.With(writer.ToArray());
        using var file = GgufFile.Open(temp.Path);

        Assert.Contains("'absent'", Assert.Throws<GgufFormatException>(() => file.GetString("absent")).Message);
        var wrongType = Assert.Throws<GgufFormatException>(() => file.GetUInt32("name"));
        Assert.Contains("'name'", wrongType.Message);
        Assert.Contains("at byte 40", wrongType.Message); // header 24 + key length 8 + "name" 4 + value type 4: where the value starts
        Assert.Throws<GgufFormatException>(() => file.GetInt32("big"));
        Assert.False(file.TryGetString("absent", out _));
        Assert.True(file.TryGetString("name", out var name));
        Assert.Equal("x", name);
    }

    [Theory]
    [InlineData(GgmlType.F32, 0f)]
    [InlineData(GgmlType.F16, 1e-3f)]
    [InlineData(GgmlType.BF16, 8e-3f)]
    [InlineData(GgmlType.Q8_0, 1e-2f)]
    [InlineData(GgmlType.Q4_0, 0.15f)]
    public void TensorsRoundTripThroughQuantization(GgmlType type, float relativeTolerance)
    {
        var values = Ramp(64 * 3);
        var writer = new GgufWriter();
        writer.AddTensor("w", type, values, 64, 3);
        writer.AddTensor("norm", GgmlType.F32, Ramp(64), 64);
        using var temp = TempFile.With(writer.ToArray());
        using var file = GgufFile.Open(temp.Path);

        var w = file.Get("w");
        Assert.Equal(type, w.Type);
        Assert.Equal([64L, 3L], w.Dimensions);
        var matrix = w.AsMatrix();
        Assert.Equal(3, matrix.Rows);
        Assert.Equal(64, matrix.Columns);
        var row = new float[64];
        float max = values.Max(MathF.Abs);
        for (int r = 0; r < 3; r++)
        {
            Quantizer.Dequantize(type, matrix.RowSpan(r), row);
            for (int c = 0; c < 64; c++)
                Assert.True(MathF.Abs(row[c] - values[r * 64 + c]) <= relativeTolerance * max, $"{type} [{r},{c}] {row[c]} vs {values[r * 64 + c]}");
        }
        Assert.Equal(Ramp(64), file.Get("norm").AsF32Span().ToArray());
    }

    [Fact]
    public void LazyFillWritesTheSameBytesAsEagerData()
    {
        var values = Ramp(96 * 40);
        var eager = new GgufWriter().AddTensor("t", GgmlType.Q8_0, values, 96, 5, 8).ToArray();
        var calls = new List<long>();
        var lazy = new GgufWriter().AddTensor("t", GgmlType.Q8_0, [96, 5, 8], (firstRow, rows) =>
        {
            calls.Add(firstRow);
            values.AsSpan((int)(firstRow * 96), rows.Length).CopyTo(rows);
        }).ToArray();
        Assert.Equal(eager, lazy);
        Assert.Equal([0L], calls);
    }

    [Fact]
    public void RawBytesAndCustomAlignmentArePlacedAlignedAndZeroCopy()
    {
        var raw = Enumerable.Range(0, 18 * 2).Select(i => (byte)(i * 7)).ToArray();
        var writer = new GgufWriter(alignment: 256)
            .SetMetadata("general.architecture", GgufValue.Of("llama"))
            .AddTensorBytes("a", GgmlType.Q4_0, raw, 32, 2)
            .AddTensor("b", GgmlType.F32, Ramp(5), 5);
        using var temp = TempFile.With(writer.ToArray());
        using var file = GgufFile.Open(temp.Path);

        Assert.Equal(256, file.Alignment);
        Assert.Equal(256u, file.GetUInt32(GgufFile.AlignmentKey));
        Assert.Equal(0, file.DataOffset % 256);
        foreach (var t in file.Tensors)
            Assert.Equal(0, (file.FileOffsetOf(t) - file.DataOffset) % 256);
        var a = file.Get("a");
        Assert.Equal(raw, TensorBytes.Of(a));
        Assert.Equal(File.ReadAllBytes(temp.Path).AsSpan((int)file.FileOffsetOf(a), raw.Length).ToArray(), raw);
        Assert.Equal(file.FileLength, new FileInfo(temp.Path).Length);
        Assert.Null(file.Find("missing"));
        Assert.Throws<FormatException>(() => ((FastInfer.Engine.Formats.ITensorSource)file).Get("missing"));
    }

    [Fact]
    public void FileSizeIsKnownBeforeWritingAndProgressReachesIt()
    {
        var writer = new GgufWriter()
            .SetMetadata("k", GgufValue.Of(["a", "bc"]))
            .AddTensor("big", GgmlType.Q8_0, [1024, 2048], (_, rows) => rows.Fill(0.5f))
            .AddTensor("small", GgmlType.F32, Ramp(3), 3);
        long size = writer.FileSize;
        var reports = new List<(long Written, long Total)>();
        writer.Progress = (written, total) => reports.Add((written, total));
        var bytes = writer.ToArray();
        Assert.Equal(bytes.Length, size);
        Assert.True(reports.Count > 2);
        Assert.All(reports, r => Assert.Equal(size, r.Total));
        Assert.Equal(size, reports[^1].Written);
        Assert.Equal(reports.Select(r => r.Written).Order(), reports.Select(r => r.Written));
        Assert.Equal(new GgufWriter().SetMetadata("k", GgufValue.Of(1)).ToArray().Length, new GgufWriter().SetMetadata("k", GgufValue.Of(1)).FileSize);
    }

    [Fact]
    public void WriterRejectsInvalidTensors()
    {
        var writer = new GgufWriter();
        Assert.Throws<ArgumentException>(() => writer.AddTensor("x", GgmlType.Q8_0, new float[33], 33));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("x", GgmlType.F32, new float[4], 5));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("x", GgmlType.F32, new float[1], 1, 1, 1, 1, 1));
        Assert.Throws<NotSupportedException>(() => writer.AddTensor("x", GgmlType.IQ2_XXS, new float[256], 256));
        Assert.Throws<ArgumentException>(() => writer.AddTensorBytes("x", GgmlType.Q4_0, new byte[17], 32));
        writer.AddTensor("x", GgmlType.F32, new float[2], 2);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("x", GgmlType.F32, new float[2], 2));
        Assert.Throws<ArgumentException>(() => new GgufWriter(48));
    }
}
