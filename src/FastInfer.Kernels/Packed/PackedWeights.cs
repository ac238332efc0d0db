using FastInfer.Kernels.Memory;
using FastInfer.Kernels.Isa;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// A load-time, row-interleaved copy of a Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (<see cref="PackedLayout"/>), Q2_K (<see cref="PackedQ2_K"/>), Q3_K (<see cref="PackedQ3_K"/>),
/// Q4_K (<see cref="PackedQ4_K"/>), Q5_K (<see cref="PackedQ5_K"/>), Q6_K (<see cref="PackedQ6_K"/>), F16 or BF16 (<see cref="PackedHalfFloat"/>) weight matrix in native memory on huge pages where the OS grants them (<see cref="HugePageMemory"/>), and the <see cref="Matrix"/> that carries it: the same view as the original (its
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
    public static bool CanPack(GgmlType type)
        => type is GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K
            || PackedHalfFloat.Holds(type);

    /// <summary>The kernel paths that read some packed copy (narrower ones read the original ggml rows).</summary>
    public static bool IsReadOn(IsaPath path) => path >= IsaPath.Avx2;

    /// <summary>
    /// Whether the packed copy of a <paramref name="type"/> matrix replaces its rows on <paramref name="path"/> for decode and
    /// prefill alike and holds them whole, so its original rows are read again only to recompute the rare row with an
    /// infinity or NaN (F16 and BF16 on the 512-bit path) or not at all (every quantized type from AVX2 up: Q4_0, Q4_1, Q5_0,
    /// Q5_1 and Q8_0 prefill over the copy itself, the K-quants over rows read back from it, <see cref="PackedRows"/>): a
    /// loader may release them, and gains nothing by keeping a second row-major copy (a fused one) beside the packed one.
    /// </summary>
    public static bool ReplacesRows(IsaPath path, GgmlType type)
        => PackedHalfFloat.Holds(type) ? PackedHalfFloat.IsReadOn(path) : CanPack(type) && IsReadOn(path);

    /// <summary>Whether <paramref name="path"/> reads the packed copy of a <paramref name="type"/> matrix, so packing it pays:
    /// F16 and BF16 copies are read on the 512-bit path only, the quantized ones from AVX2 up.</summary>
    public static bool IsReadOn(IsaPath path, GgmlType type)
        => CanPack(type) && (PackedHalfFloat.Holds(type) ? PackedHalfFloat.IsReadOn(path) : IsReadOn(path));

    /// <summary>
    /// Packs <paramref name="weights"/>, splitting the work over <paramref name="pool"/> when given; false (and
    /// nothing kept) when its type has no packed layout, a block scale is Inf or NaN (the packed kernels convert
    /// scales in a way only exact for finite values), or an F16/BF16 matrix's columns are not a multiple of 32.
    /// </summary>
    public static bool TryPack(in WeightMatrix weights, [NotNullWhen(true)] out PackedWeights? packed, ComputePool? pool = null)
    {
        packed = weights.Type switch
        {
            GgmlType.Q4_0 => Pack<PackedQ4_0>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q4_1 => Pack<PackedWithMinimums<PackedQ4_0>>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q5_0 => Pack<PackedQ5_0>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q5_1 => Pack<PackedWithMinimums<PackedQ5_0>>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q8_0 => Pack<PackedQ8_0>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q2_K => PackSuperBlocks<PackedQ2_K>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q3_K => PackSuperBlocks<PackedQ3_K>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q4_K => PackSuperBlocks<PackedQ4_K>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q5_K => PackSuperBlocks<PackedQ5_K>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q6_K => PackSuperBlocks<PackedQ6_K>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.F16 or GgmlType.BF16 => PackHalfFloat(weights, pool ?? ComputePool.SingleThreaded),
            _ => null,
        };
        return packed != null;
    }

    /// <summary>As <see cref="TryPack"/>, but says why when the matrix cannot be packed.</summary>
    public static PackedWeights Pack(in WeightMatrix weights, ComputePool? pool = null)
    {
        if (!CanPack(weights.Type))
            throw new NotSupportedException($"{weights.Type} weights have no packed layout (only Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, F16 and BF16 do)");
        if (PackedHalfFloat.Holds(weights.Type) && !PackedHalfFloat.Fits(weights.Columns))
            throw new ArgumentException($"the {weights.Type} matrix ({weights.Rows}x{weights.Columns}) cannot be packed: its column count is not a multiple of {PackedHalfFloat.StepColumns}");
        return TryPack(weights, out var packed, pool)
            ? packed
            : throw new ArgumentException($"the {weights.Type} matrix ({weights.Rows}x{weights.Columns}) has an Inf or NaN block scale and cannot be packed");
    }

    private static PackedWeights? Pack<TFormat>(in WeightMatrix weights, ComputePool pool) where TFormat : struct, IPackedFormat
    {
        int blocks = weights.Columns / PackedLayout.BlockColumns;
        var job = new PackJob<TFormat> { Weights = weights, GroupBytes = PackedLayout.GroupBytes(blocks, TFormat.QuantBytesPerBlock), Blocks = blocks };
        return Fill(weights, ref job, job.GroupBytes, pool);
    }

    private static PackedWeights? PackSuperBlocks<TFormat>(in WeightMatrix weights, ComputePool pool) where TFormat : struct, IPackedSuperBlockFormat
    {
        int superBlocks = weights.Columns / PackedKActivations.SuperBlockColumns;
        var job = new PackSuperBlockJob<TFormat> { Weights = weights, GroupBytes = (long)superBlocks * TFormat.SuperBlockBytes, SuperBlocks = superBlocks };
        return Fill(weights, ref job, job.GroupBytes, pool);
    }

    /// <summary>The two-region layout of <see cref="PackedHalfFloat"/>; null when the columns do not fill whole steps.</summary>
    private static PackedWeights? PackHalfFloat(in WeightMatrix weights, ComputePool pool)
    {
        if (!PackedHalfFloat.Fits(weights.Columns))
            return null;
        int groups = (weights.Rows + PackedLayout.GroupRows - 1) / PackedLayout.GroupRows;
        long halfBytes = PackedHalfFloat.HalfGroupBytes(weights.Columns);
        long secondHalf = groups * halfBytes;
        byte* memory = HugePageMemory.Allocate(2 * secondHalf);
        var job = new PackedHalfFloat.PackJob { Weights = weights, Memory = memory, SecondHalf = secondHalf };
        pool.For(groups, ref job, 1);
        var matrix = weights.WithPacked(new PackedView((nint)memory, halfBytes, 0, secondHalf));
        return new PackedWeights((nint)memory, 2 * secondHalf, matrix);
    }

    /// <summary>Allocates the groups and has <paramref name="job"/> write them; null (memory freed) when it found a non-finite scale.</summary>
    private static PackedWeights? Fill<TJob>(in WeightMatrix weights, ref TJob job, long groupBytes, ComputePool pool) where TJob : struct, IPackJob
    {
        int groups = (weights.Rows + PackedLayout.GroupRows - 1) / PackedLayout.GroupRows;
        long total = groups * groupBytes;
        byte* memory = HugePageMemory.Allocate(total);
        job.Memory = memory;
        pool.For(groups, ref job, 1);
        if (job.NonFinite != 0)
        {
            HugePageMemory.Free(memory);
            return null;
        }
        var matrix = weights.WithPacked(new PackedView((nint)memory, groupBytes, 0));
        return new PackedWeights((nint)memory, total, matrix);
    }

    /// <summary>A job writing whole groups of a packed copy into <see cref="Memory"/>, flagging non-finite scales.</summary>
    private interface IPackJob : IRowJob
    {
        byte* Memory { set; }
        int NonFinite { get; }
    }

    /// <summary>Writes whole groups, front to back; the ggml rows are read eight at a time.</summary>
    private struct PackJob<TFormat> : IPackJob where TFormat : struct, IPackedFormat
    {
        public WeightMatrix Weights;
        public long GroupBytes;
        public int Blocks;
        private int _nonFinite;

        public byte* Memory { get; set; }
        public readonly int NonFinite => _nonFinite;

        // Runs once per matrix, so tiered compilation would leave these loops in unoptimized code for most of the work.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int firstGroup, int endGroup)
        {
            long blockBytes = Weights.RowBytes / Blocks;
            for (int g = firstGroup; g < endGroup; g++)
            {
                byte* group = Memory + g * GroupBytes;
                // The last chunk's scale slots past the final block stay unused; zero them so the copy is deterministic.
                NativeMemory.Clear(PackedLayout.Scales(group, (Blocks - 1) & ~(PackedLayout.ChunkBlocks - 1), TFormat.QuantBytesPerBlock), PackedLayout.ChunkScaleBytes);
                for (int b = 0; b < Blocks; b++)
                {
                    byte* scales = PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock);
                    byte* quants = PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock);
                    for (int lane = 0; lane < PackedLayout.GroupRows; lane++)
                    {
                        int row = g * PackedLayout.GroupRows + lane;
                        if (row >= Weights.Rows)
                        {
                            // Padding rows: scale 0, so their lanes stay 0 whatever their quants say.
                            Unsafe.WriteUnaligned(scales + lane * sizeof(ushort), (ushort)0);
                            TFormat.PackBlock(ZeroBlock, lane, quants);
                            continue;
                        }
                        byte* block = (byte*)Weights.Data + row * Weights.RowBytes + b * blockBytes;
                        ushort scale = Unsafe.ReadUnaligned<ushort>(block);
                        if (!TFormat.HasFiniteScales(block))
                            Interlocked.Exchange(ref _nonFinite, 1);
                        Unsafe.WriteUnaligned(scales + lane * sizeof(ushort), scale);
                        TFormat.PackBlock(block, lane, quants);
                    }
                }
            }
        }
    }

    /// <summary>Writes whole K-quant groups, front to back; padding rows are all zeros (scales 0, so their lanes stay 0).</summary>
    private struct PackSuperBlockJob<TFormat> : IPackJob where TFormat : struct, IPackedSuperBlockFormat
    {
        public WeightMatrix Weights;
        public long GroupBytes;
        public int SuperBlocks;
        private int _nonFinite;

        public byte* Memory { get; set; }
        public readonly int NonFinite => _nonFinite;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int firstGroup, int endGroup)
        {
            long blockBytes = Weights.RowBytes / SuperBlocks;
            for (int g = firstGroup; g < endGroup; g++)
            {
                for (int s = 0; s < SuperBlocks; s++)
                {
                    byte* superBlock = Memory + g * GroupBytes + s * TFormat.SuperBlockBytes;
                    for (int lane = 0; lane < PackedLayout.GroupRows; lane++)
                    {
                        int row = g * PackedLayout.GroupRows + lane;
                        byte* block = row < Weights.Rows ? (byte*)Weights.Data + row * Weights.RowBytes + s * blockBytes : ZeroBlock;
                        if (!TFormat.HasFiniteScales(block))
                            Interlocked.Exchange(ref _nonFinite, 1);
                        TFormat.Copy<ToPacked>(block, lane, superBlock);
                    }
                }
            }
        }
    }

    /// <summary>A block of zeros the padding rows pack from (large enough for any packed format's ggml block).</summary>
    private static readonly byte* ZeroBlock = (byte*)NativeMemory.AllocZeroed(256);

    /// <summary>Frees the packed copy; <see cref="Matrix"/> and its slices must not be used afterwards.</summary>
    public void Dispose()
    {
        nint memory = Interlocked.Exchange(ref _memory, 0);
        if (memory != 0)
            HugePageMemory.Free((byte*)memory);
    }
}
