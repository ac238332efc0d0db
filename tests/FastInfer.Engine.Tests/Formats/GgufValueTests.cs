using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Formats;

public class GgufValueTests
{
    [Fact]
    public void IntegerAccessorsConvertBetweenWidthsWhenTheValueFits()
    {
        Assert.Equal(7, GgufValue.Of(7UL).AsInt32());
        Assert.Equal(7u, GgufValue.Of((short)7).AsUInt32());
        Assert.Equal(-5L, GgufValue.Of((sbyte)-5).AsInt64());
        Assert.Equal([1, 2], GgufValue.Of(new ushort[] { 1, 2 }).AsIntArray());
        Assert.Throws<FormatException>(() => GgufValue.Of(-1).AsUInt32());
        Assert.Throws<FormatException>(() => GgufValue.Of(1L << 40).AsInt32());
        Assert.Throws<FormatException>(() => GgufValue.Of(ulong.MaxValue).AsInt64());
        Assert.Throws<FormatException>(() => GgufValue.Of(new[] { 1L << 40 }).AsIntArray());
    }

    [Fact]
    public void TypeMismatchesAreFormatErrorsNamingBothTypes()
    {
        var e = Assert.Throws<FormatException>(() => GgufValue.Of(3).AsFloat32());
        Assert.Contains("Int32", e.Message);
        Assert.Contains("float", e.Message);
        Assert.Throws<FormatException>(() => GgufValue.Of("x").AsBool());
        Assert.Throws<FormatException>(() => GgufValue.Of(new[] { 1f }).AsStringArray());
        Assert.Throws<FormatException>(() => GgufValue.Of(new[] { 1f }).AsIntArray());
        Assert.Throws<FormatException>(() => GgufValue.Of(1).ArrayLength);
        Assert.Throws<ArgumentException>(() => GgufValue.Of([GgufValue.Of(1)]));
        Assert.Equal(2.5f, GgufValue.Of(2.5).AsFloat32());
    }

    [Fact]
    public void FailedWriteLeavesNoFile()
    {
        using var temp = new TempFile();
        var writer = new GgufWriter().AddTensor("t", GgmlType.F32, [4], (_, _) => throw new InvalidOperationException("generator failed"));
        Assert.Throws<InvalidOperationException>(() => writer.Write(temp.Path));
        Assert.False(File.Exists(temp.Path));
        Assert.False(File.Exists(temp.Path + ".partial"));
    }
}
