namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>
/// One tensor's entry in a safetensors header. <see cref="Shape"/> is row-major as the file states it
/// (outermost first — the reverse of ggml's order); <see cref="Begin"/> and <see cref="End"/> are byte
/// offsets relative to the start of the data buffer that follows the header.
/// </summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>The shape in ggml order (innermost first), as <see cref="TensorView.Dimensions"/> holds it.</summary>
    public long[] GgmlDimensions => Shape.Length == 0 ? [1] : Shape.Reverse().ToArray();
}
