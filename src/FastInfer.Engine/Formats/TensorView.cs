using FastInfer.Kernels;

namespace FastInfer.Engine.Formats;

/// <summary>
/// One tensor as stored in a model file: its name, element type, shape and where its bytes lie in the
/// memory mapping. <see cref="Dimensions"/> are ggml-ordered: [0] is the innermost (contiguous) axis,
/// so a 2-D weight of <c>rows × columns</c> has Dimensions = [columns, rows].
/// </summary>
public sealed record TensorView(string Name, GgmlType Type, long[] Dimensions, nint Data, long ByteLength)
{
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => a * b);

    public string ShapeText => "[" + string.Join(", ", Dimensions) + "]";

    /// <summary>This tensor as a weight matrix: Dimensions [columns, rows], or [columns, rows, n] viewed as n·rows rows.</summary>
    public WeightMatrix AsMatrix()
    {
        if (Dimensions.Length < 2 || Dimensions.Skip(2).Any(d => d != 1) && Dimensions.Length > 3)
            throw new FormatException($"tensor '{Name}' with shape {ShapeText} is not a matrix");
        long rows = Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (rows > int.MaxValue || Dimensions[0] > int.MaxValue)
            throw new FormatException($"tensor '{Name}' with shape {ShapeText} is too large for one matrix");
        return new WeightMatrix(Data, ByteLength, Type, (int)rows, (int)Dimensions[0]);
    }

    /// <summary>An F32 vector (a norm weight) viewed in place.</summary>
    public unsafe ReadOnlySpan<float> AsF32Span()
    {
        if (Type != GgmlType.F32)
            throw new FormatException($"tensor '{Name}' is {Type}; an F32 vector was expected");
        return new ReadOnlySpan<float>((void*)Data, checked((int)ElementCount));
    }
}
