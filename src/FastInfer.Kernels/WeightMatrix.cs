using FastInfer.Kernels.Packed;

namespace FastInfer.Kernels;

/// <summary>
/// A row-major weight matrix (<see cref="Rows"/> outputs × <see cref="Columns"/> inputs) in any
/// <see cref="GgmlType"/>, viewed where it lies — usually inside a memory-mapped model file.
/// The owner of the memory (the loaded model) must outlive every use of the view.
/// </summary>
public readonly struct WeightMatrix
{
    /// <summary>Wraps memory that holds exactly <paramref name="rows"/> rows of <paramref name="columns"/> elements.</summary>
    public WeightMatrix(nint data, long byteLength, GgmlType type, int rows, int columns)
    {
        if (data == 0)
            throw new ArgumentException("weight data pointer is null", nameof(data));
        if (rows <= 0 || columns <= 0)
            throw new ArgumentException($"weight shape {rows}x{columns} is empty");
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        if (rowBytes * rows != byteLength)
            throw new ArgumentException(
                $"weight of type {type} and shape {rows}x{columns} needs {rowBytes * rows} bytes, got {byteLength}");
        Data = data;
        ByteLength = byteLength;
        Type = type;
        Rows = rows;
        Columns = columns;
        RowBytes = rowBytes;
    }

    public nint Data { get; }
    public long ByteLength { get; }
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }
    public long RowBytes { get; }

    /// <summary>The row-interleaved copy the packed kernels read, when one was made (<see cref="PackedWeights"/>).</summary>
    internal PackedView Packed { get; }

    /// <summary>True when a <see cref="PackedWeights"/> copy is attached (it must outlive this view).</summary>
    public bool IsPacked => Packed.IsPresent;

    private WeightMatrix(in WeightMatrix matrix, PackedView packed) : this(matrix.Data, matrix.ByteLength, matrix.Type, matrix.Rows, matrix.Columns)
        => Packed = packed;

    internal WeightMatrix WithPacked(PackedView packed) => new(this, packed);

    /// <summary>The rows [first, first+count) as a matrix of their own (an expert slice, a tensor-parallel shard).</summary>
    public WeightMatrix SliceRows(int first, int count)
    {
        if ((uint)first > (uint)Rows || (uint)count > (uint)(Rows - first) || count == 0)
            throw new ArgumentOutOfRangeException(nameof(first), $"rows [{first}, {first + count}) outside 0..{Rows}");
        var slice = new WeightMatrix(Data + (nint)(first * RowBytes), count * RowBytes, Type, count, Columns);
        return Packed.IsPresent ? slice.WithPacked(Packed.Skip(first)) : slice;
    }

    /// <summary>The raw bytes of one row.</summary>
    public unsafe ReadOnlySpan<byte> RowSpan(int row)
    {
        if ((uint)row >= (uint)Rows)
            throw new ArgumentOutOfRangeException(nameof(row));
        return new ReadOnlySpan<byte>((byte*)Data + row * RowBytes, checked((int)RowBytes));
    }
}
