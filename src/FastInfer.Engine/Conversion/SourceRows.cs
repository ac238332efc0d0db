using FastInfer.Engine.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Conversion;

/// <summary>
/// Rows of one tensor, or of several equally shaped tensors laid end to end (Mixtral's experts), decoded to floats on
/// demand; with a head dimension the rows are taken in <see cref="RotaryPermutation"/> order.
/// </summary>
internal sealed unsafe class SourceRows
{
    private readonly TensorView[] _parts;
    private readonly long _columns;
    private readonly long _rowsPerPart;
    private readonly int _permutedHeadDimension;

    public SourceRows(TensorView[] parts, int permutedHeadDimension)
    {
        _parts = parts;
        _columns = parts[0].Dimensions[0];
        _rowsPerPart = parts[0].ElementCount / _columns;
        _permutedHeadDimension = permutedHeadDimension;
        foreach (var part in parts)
        {
            if (part.Dimensions[0] != _columns || part.ElementCount != parts[0].ElementCount || part.Type != parts[0].Type)
                throw new FormatException($"tensor '{part.Name}' ({part.Type} {part.ShapeText}) does not match '{parts[0].Name}' ({parts[0].Type} {parts[0].ShapeText})");
            if (!Quantizer.CanDequantize(part.Type))
                throw new NotSupportedException($"tensor '{part.Name}' is {part.Type}, which the converter cannot read");
        }
    }

    /// <summary>A <see cref="Formats.Gguf.TensorFill"/>: decodes the rows from <paramref name="firstRow"/> into <paramref name="destination"/>.</summary>
    public void Fill(long firstRow, Span<float> destination)
    {
        int count = (int)(destination.Length / _columns);
        long rowBytes = GgmlTypeTraits.RowBytes(_parts[0].Type, _columns);
        for (int i = 0; i < count; i++)
        {
            long row = firstRow + i;
            var part = _parts[row / _rowsPerPart];
            long within = row % _rowsPerPart;
            if (_permutedHeadDimension > 0)
                within = RotaryPermutation.SourceRow(within, _permutedHeadDimension);
            var bytes = new ReadOnlySpan<byte>((byte*)part.Data + within * rowBytes, (int)rowBytes);
            Quantizer.Dequantize(part.Type, bytes, destination.Slice((int)(i * _columns), (int)_columns));
        }
    }
}
