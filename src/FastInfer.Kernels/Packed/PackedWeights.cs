using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// A load-time, row-interleaved copy of a Q4_0 or Q8_0 weight matrix (<see cref="PackedLayout"/>) in 64-byte
/// aligned native memory, and the <see cref="Matrix"/> that carries it: the same view as the original (its
/// <see cref="WeightMatrix.Data"/> still points at the ggml rows, which the V128 and scalar paths read) plus the
/// packed copy, which MatVec and MatMul use on the AVX2 and AVX-512 paths. Keep this object alive — and the
/// original data too — for as long as <see cref="Matrix"/> or any slice of it is used; dispose it afterwards.
/// </summary>
public sealed unsafe class PackedWeights : IDisposable
{
    private nint _memory;

    private PackedWeights(nint memory, long byteLength, WeightMatrix matrix)
    {
        _memory = memory;
        ByteLength = byteLength;
        Matrix = matrix;
    }

    /// <summary>The original matrix with the packed copy attached.</summary>
    public WeightMatrix Matrix { get; }

    /// <summary>Bytes of native memory the packed copy takes.</summary>
    public long ByteLength { get; }

    /// <summary>The weight types that have a packed layout.</summary>
    public static bool CanPack(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q8_0;

    /// <summary>
    /// Packs <paramref name="weights"/>; false (and nothing allocated) when its type has no packed layout or a block
    /// scale is Inf or NaN (the packed kernels convert scales in a way only exact for finite values).
    /// </summary>
    public static bool TryPack(in WeightMatrix weights, [NotNullWhen(true)] out PackedWeights? packed)
    {
        packed = weights.Type switch
        {
            GgmlType.Q4_0 => Pack<PackedQ4_0>(weights),
            GgmlType.Q8_0 => Pack<PackedQ8_0>(weights),
            _ => null,
        };
        return packed != null;
    }

    /// <summary>As <see cref="TryPack"/>, but says why when the matrix cannot be packed.</summary>
    public static PackedWeights Pack(in WeightMatrix weights)
    {
        if (!CanPack(weights.Type))
            throw new NotSupportedException($"{weights.Type} weights have no packed layout (only Q4_0 and Q8_0 do)");
        return TryPack(weights, out var packed)
            ? packed
            : throw new ArgumentException($"the {weights.Type} matrix ({weights.Rows}x{weights.Columns}) has an Inf or NaN block scale and cannot be packed");
    }

    private static PackedWeights? Pack<TFormat>(in WeightMatrix weights) where TFormat : struct, IPackedFormat
    {
        int blocks = weights.Columns / PackedLayout.BlockColumns;
        int groups = (weights.Rows + PackedLayout.GroupRows - 1) / PackedLayout.GroupRows;
        long groupBytes = PackedLayout.GroupBytes(blocks, TFormat.QuantBytesPerBlock);
        long total = groups * groupBytes;
        long blockBytes = weights.RowBytes / blocks;
        byte* source = (byte*)weights.Data;
        for (long b = 0; b < (long)weights.Rows * blocks; b++)
            if (!PackedScales.IsFinite(Unsafe.ReadUnaligned<ushort>(source + b * blockBytes)))
                return null;

        // Zero fill: padding rows get scale 0, so their lanes stay 0 whatever their quants say.
        byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)total, 64);
        NativeMemory.Clear(memory, (nuint)total);
        for (int row = 0; row < weights.Rows; row++)
        {
            byte* group = memory + row / PackedLayout.GroupRows * groupBytes;
            int lane = row % PackedLayout.GroupRows;
            byte* ggmlRow = source + row * weights.RowBytes;
            for (int b = 0; b < blocks; b++)
            {
                byte* block = ggmlRow + b * blockBytes;
                Unsafe.WriteUnaligned(PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock) + lane * sizeof(ushort), Unsafe.ReadUnaligned<ushort>(block));
                TFormat.PackBlock(block, lane, PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock));
            }
        }
        var matrix = weights.WithPacked(new PackedView((nint)memory, groupBytes, 0));
        return new PackedWeights((nint)memory, total, matrix);
    }

    /// <summary>Frees the packed copy; <see cref="Matrix"/> and its slices must not be used afterwards.</summary>
    public void Dispose()
    {
        nint memory = Interlocked.Exchange(ref _memory, 0);
        if (memory != 0)
            NativeMemory.AlignedFree((void*)memory);
    }
}
