using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The one step every packed kernel is made of: a group's unpacked block against one token's activation block.
/// The eight int lanes (rows) are exact; each row's float result is then one FMA per block in block order —
/// the same chain in decode and prefill, for any grouping of rows or tokens, so those never change the bits.
/// </summary>
internal static unsafe class PackedDot
{
    /// <remarks><paramref name="minimums"/> and <paramref name="minimumScale"/> are read only for formats with a minimum
    /// (<see cref="Scale{TFormat}"/>).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Block<TFormat, TStep>(
        Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7,
        Vector256<float> rowScales, Vector256<float> minimums, byte* quants, float* scale, int* correction, float* minimumScale, Vector256<float> acc)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
        => Scale<TFormat>(TStep.Block(Start<TStep>(correction), w0, w1, w2, w3, w4, w5, w6, w7, quants, TFormat.MaxQuant),
            rowScales, minimums, scale, minimumScale, acc);

    /// <summary>
    /// A block's eight steps as two independent chains of four, so the dot-product latency overlaps: the
    /// <see cref="IPackedStep.Block"/> of the steps that add each product into an int32 lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Chains<TStep>(Vector256<int> start,
        Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7, byte* quants)
        where TStep : struct, IPackedStep
    {
        var even = start;
        var odd = Vector256<int>.Zero;
        even = TStep.Step(even, w0, Broadcast(quants));
        odd = TStep.Step(odd, w1, Broadcast(quants + 4));
        even = TStep.Step(even, w2, Broadcast(quants + 8));
        odd = TStep.Step(odd, w3, Broadcast(quants + 12));
        even = TStep.Step(even, w4, Broadcast(quants + 16));
        odd = TStep.Step(odd, w5, Broadcast(quants + 20));
        even = TStep.Step(even, w6, Broadcast(quants + 24));
        odd = TStep.Step(odd, w7, Broadcast(quants + 28));
        return even + odd;
    }

    /// <summary>
    /// Half a block (16 columns) of two groups against one token, into the int sums: each broadcast feeds both
    /// groups, and with only four weight vectors per group live, everything vpdpbusd names fits the VEX registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void HalfPair<TStep>(
        Vector256<byte> a0, Vector256<byte> a1, Vector256<byte> a2, Vector256<byte> a3,
        Vector256<byte> b0, Vector256<byte> b1, Vector256<byte> b2, Vector256<byte> b3,
        byte* quants, ref Vector256<int> sumA, ref Vector256<int> sumB)
        where TStep : struct, IPackedStep
    {
        var x = Broadcast(quants);
        sumA = TStep.Step(sumA, a0, x); sumB = TStep.Step(sumB, b0, x);
        x = Broadcast(quants + 4);
        sumA = TStep.Step(sumA, a1, x); sumB = TStep.Step(sumB, b1, x);
        x = Broadcast(quants + 8);
        sumA = TStep.Step(sumA, a2, x); sumB = TStep.Step(sumB, b2, x);
        x = Broadcast(quants + 12);
        sumA = TStep.Step(sumA, a3, x); sumB = TStep.Step(sumB, b3, x);
    }

    /// <summary>
    /// A block's int sums (one token, one group) into its rows' float chains: one FMA of the sum and the row and
    /// activation scales, and for a format with a minimum (<see cref="IPackedFormat.HasMinimum"/>) a second of the rows'
    /// minimums (2^-112 times theirs) and the activation block's d·Σa as ggml's Q8_1 block stores it
    /// (<see cref="PackedActivations.MinimumScales"/>, 2^112 times it). The same steps in decode and prefill; other
    /// formats skip the second (a constant, so the JIT drops it, and <paramref name="minimumScale"/> is not read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scale<TFormat>(Vector256<int> sum, Vector256<float> rowScales, Vector256<float> minimums,
        float* scale, float* minimumScale, Vector256<float> acc) where TFormat : struct, IPackedFormat
    {
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), rowScales * Vector256.Create(*scale), acc);
        return TFormat.HasMinimum ? Vector256.FusedMultiplyAdd(minimums, Vector256.Create(*minimumScale), acc) : acc;
    }

    /// <summary>The int sum a block starts from: −zp·Σa when the step leaves the zero point in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start<TStep>(int* correction) where TStep : struct, IPackedStep
        => TStep.UsesZeroPoint ? Vector256.Create(*correction) : Vector256<int>.Zero;

    /// <summary>
    /// One group's eight rows against one token: every block in order. Decode, which reads each group once from DRAM,
    /// passes <paramref name="prefetchAhead"/> to ask for each chunk's lines <see cref="PackedPrefetch.Distance"/> ahead:
    /// its scale line before the chunk, each block's quant lines before the block. (All before the chunk was slower from
    /// DRAM for Q8_0's 17-line chunks; a quarter of the chunk's lines before each block, counted out at run time, made
    /// Q4_0 slower from cache.) Prefill reuses a group over many tokens from the cache and does not (a constant, so the JIT drops the branch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Group<TFormat, TStep>(byte* group, int blocks, byte* quants, float* scales, int* corrections,
        float* minimumScales, bool prefetchAhead = false)
        where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
    {
        // Walked chunk by chunk with pointers: recomputing each block's addresses from its index cost a dozen scalar
        // instructions per block, which the AVX2 decode loop, bound by how many instructions it issues, could not hide.
        var acc = Vector256<float>.Zero;
        int chunkBytes = (int)PackedLayout.ChunkBytes(TFormat.QuantBytesPerBlock);
        byte* chunk = group;
        for (int b0 = 0; b0 < blocks; b0 += PackedLayout.ChunkBlocks, chunk += chunkBytes)
        {
            int count = Math.Min(PackedLayout.ChunkBlocks, blocks - b0);
            byte* blockQuants = chunk + PackedLayout.ChunkScaleBytes, blockScales = chunk;
            if (prefetchAhead)
                PackedPrefetch.LineOf(chunk);
            for (int j = 0; j < count; j++)
            {
                if (prefetchAhead)
                    PackedPrefetch.Lines(blockQuants, 0, (TFormat.QuantBytesPerBlock + 63) / 64);
                TFormat.Unpack(blockQuants, out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7);
                acc = Block<TFormat, TStep>(w0, w1, w2, w3, w4, w5, w6, w7, PackedScales.Load(blockScales), TFormat.Minimums(blockQuants),
                    quants, scales, corrections, minimumScales, acc);
                blockQuants += TFormat.QuantBytesPerBlock;
                blockScales += PackedLayout.ScaleBytesPerBlock;
                quants += 32;
                scales++;
                corrections++;
                minimumScales++;
            }
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Broadcast(byte* fourBytes) => Vector256.Create(Unsafe.ReadUnaligned<int>(fourBytes)).AsSByte();

    /// <summary>Stores a group's eight lanes to rows firstRow.. of y, skipping rows outside [0, rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> lanes, float* y, int firstRow, int rows)
    {
        if (firstRow >= 0 && firstRow + PackedLayout.GroupRows <= rows)
        {
            lanes.Store(y + firstRow);
            return;
        }
        for (int lane = 0; lane < PackedLayout.GroupRows; lane++)
        {
            int row = firstRow + lane;
            if ((uint)row < (uint)rows)
                y[row] = lanes.GetElement(lane);
        }
    }
}
