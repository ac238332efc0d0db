using FastInfer.Kernels.Memory;
using FastInfer.Kernels.Isa;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// A load-time, row-interleaved copy of a Q4_0, Q5_0, Q8_0 (<see cref="PackedLayout"/>), Q4_K (<see cref="PackedQ4_K"/>) or
/// Q6_K (<see cref="PackedQ6_K"/>) weight matrix in native memory on huge pages where the OS grants them (<see cref="HugePageMemory"/>), and the <see cref="Matrix"/> that carries it: the same view as the original (its
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
    public static bool CanPack(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>The kernel paths that read the packed copy (narrower ones read the original ggml rows), so packing pays.</summary>
    public static bool IsReadOn(IsaPath path) => path >= IsaPath.Avx2;

    /// <summary>
    /// Packs <paramref name="weights"/>, splitting the work over <paramref name="pool"/> when given; false (and
    /// nothing kept) when its type has no packed layout or a block scale is Inf or NaN (the packed kernels convert
    /// scales in a way only exact for finite values).
    /// </summary>
    public static bool TryPack(in WeightMatrix weights, [NotNullWhen(true)] out PackedWeights? packed, ComputePool? pool = null)
    {
        packed = weights.Type switch
        {
            GgmlType.Q4_0 => Pack<PackedQ4_0>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q5_0 => Pack<PackedQ5_0>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q8_0 => Pack<PackedQ8_0>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q4_K => PackSuperBlocks<PackedQ4_K>(weights, pool ?? ComputePool.SingleThreaded),
            GgmlType.Q6_K => PackSuperBlocks<PackedQ6_K>(weights, pool ?? ComputePool.SingleThreaded),
            _ => null,
        };
        return packed != null;
    }

    /// <summary>As <see cref="TryPack"/>, but says why when the matrix cannot be packed.</summary>
    public static PackedWeights Pack(in WeightMatrix weights, ComputePool? pool = null)
    {
        if (!CanPack(weights.Type))
            throw new NotSupportedException($"{weights.Type} weights have no packed layout (only Q4_0, Q5_0, Q8_0, Q4_K and Q6_K do)");
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
                        if (!PackedScales.IsFinite(scale))
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
                        TFormat.PackBlock(block, lane, superBlock);
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
