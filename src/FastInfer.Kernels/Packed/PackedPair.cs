using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Memory;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Two groups of the <see cref="PackedLayout"/> computed as one 16-row unit in 512-bit registers: the group a kernel is
/// given in lanes 0–7 of the results, its partner (some bytes on) in lanes 8–15. Every lane is still one row with its own exact int sum and its own
/// float chain, so a pair gives each row the same bits as the 8-row kernels; only the work per weight halves.
/// </summary>
internal static unsafe class PackedPair
{
    /// <summary>The pair's sixteen F16 row scales (eight per group) as <see cref="PackedScales.Load"/> converts them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Scales(byte* low, long partnerOffset)
    {
        var halves = Avx2.InsertVector128(Vector128.Load((short*)low).ToVector256Unsafe(), Vector128.Load((short*)(low + partnerOffset)), 1);
        return PackedScales.FromSignExtended(Avx512Ops.ConvertToVector512Int32(halves));
    }

    /// <summary>
    /// Activation column quads <paramref name="quad"/> (every lane of the lower half) and <paramref name="quad"/>+1
    /// (every lane of the upper half) of a block's eight, to meet a 512-bit load of a group's quant vectors k, k+1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Spread(Vector512<int> quads, int quad)
    {
        // Sixteen scalars, not Create(Vector256, Vector256): the JIT builds the latter with two inserts per use.
        int low = quad, high = quad + 1;
        var index = Vector512.Create(low, low, low, low, low, low, low, low, high, high, high, high, high, high, high, high);
        return Avx512Ops.PermuteVar16x32(quads, index).AsSByte();
    }

    /// <summary>A block's 32 activation bytes (eight column quads) as the four <see cref="Spread"/> vectors of quads 0–1, 2–3, 4–5 and 6–7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SpreadBlock(Vector512<int> quads,
        out Vector512<sbyte> quads01, out Vector512<sbyte> quads23, out Vector512<sbyte> quads45, out Vector512<sbyte> quads67)
    {
        quads01 = Spread(quads, 0);
        quads23 = Spread(quads, 2);
        quads45 = Spread(quads, 4);
        quads67 = Spread(quads, 6);
    }

    /// <summary>
    /// A K-quant chunk's activations (64 columns at <paramref name="a"/>) as the eight <see cref="Spread"/> vectors that
    /// meet 512-bit loads of a group's quant vectors: columns 0–31 (the low nibbles' sub-block) in low01..low67, 32–63
    /// in high01..high67.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SpreadChunk(byte* a,
        out Vector512<sbyte> low01, out Vector512<sbyte> low23, out Vector512<sbyte> low45, out Vector512<sbyte> low67,
        out Vector512<sbyte> high01, out Vector512<sbyte> high23, out Vector512<sbyte> high45, out Vector512<sbyte> high67)
    {
        SpreadBlock(Vector256.Load((int*)a).ToVector512Unsafe(), out low01, out low23, out low45, out low67);
        SpreadBlock(Vector256.Load((int*)(a + 32)).ToVector512Unsafe(), out high01, out high23, out high45, out high67);
    }

    /// <summary>
    /// Two groups' int16 sums made one pair: each group's upper half (its odd quant vectors) added to its lower half,
    /// group <paramref name="low"/> in lanes 0–7 and group <paramref name="high"/> in lanes 8–15. Exact while each
    /// input lane holds at most eight products (see <see cref="Products"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Fold(Vector512<short> low, Vector512<short> high) => Fold<short>(low, high);

    /// <summary>As <see cref="Fold(Vector512{short}, Vector512{short})"/>, for sums already widened (int32 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Fold(Vector512<int> low, Vector512<int> high) => Fold<int>(low, high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fold<T>(Vector512<T> low, Vector512<T> high)
        => Avx512Ops.Shuffle4x128(low.AsInt32(), high.AsInt32(), 0b01_00_01_00).As<int, T>()
            + Avx512Ops.Shuffle4x128(low.AsInt32(), high.AsInt32(), 0b11_10_11_10).As<int, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> LowNibbles(Vector512<byte> v) => v & Vector512.Create((byte)0x0F);

    /// <summary>
    /// Each byte's high nibble in its low four bits: one GFNI affine transform (output bit i = input bit i+4) where
    /// the CPU has it, instead of a shift and a mask.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> HighNibbles(Vector512<byte> v)
    {
        if (Gfni.V512.IsSupported)
            return Avx512Ops.AffineBits(v, HighNibbleMatrix);
        return Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F);
    }

    /// <summary>gf2p8affineqb's bit matrix: byte 7−i of the qword selects the input bits that make output bit i.</summary>
    internal const ulong HighNibbleMatrix = 0x10_20_40_80_00_00_00_00UL;

    /// <summary>
    /// vpmaddubsw of unsigned weights by signed activations: each int16 lane gains two products. With weights ≤ 15 and
    /// |a| ≤ 128, eight steps (sixteen products) stay within ±30720, so int16 sums of up to eight steps are exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Products(Vector512<byte> w, Vector512<sbyte> a) => Avx512Ops.MultiplyAddAdjacent(w, a);

    /// <summary>
    /// The int16 sums of four quant vector pairs of one group (256 bytes at <paramref name="q"/>, read as four 512-bit
    /// vectors): <paramref name="low"/> from the low nibbles against <paramref name="low01"/>..<paramref name="low67"/>,
    /// <paramref name="high"/> from the high nibbles against <paramref name="high01"/>..; lanes 0–7 from the even quant
    /// vectors, 8–15 from the odd. Four steps per lane: exact (see <see cref="Products"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NibbleSums(byte* q,
        Vector512<sbyte> low01, Vector512<sbyte> low23, Vector512<sbyte> low45, Vector512<sbyte> low67,
        Vector512<sbyte> high01, Vector512<sbyte> high23, Vector512<sbyte> high45, Vector512<sbyte> high67,
        out Vector512<short> low, out Vector512<short> high)
    {
        var v01 = Vector512.Load(q);
        var v23 = Vector512.Load(q + 64);
        var v45 = Vector512.Load(q + 128);
        var v67 = Vector512.Load(q + 192);
        low = Products(LowNibbles(v01), low01) + Products(LowNibbles(v23), low23)
            + (Products(LowNibbles(v45), low45) + Products(LowNibbles(v67), low67));
        high = Products(HighNibbles(v01), high01) + Products(HighNibbles(v23), high23)
            + (Products(HighNibbles(v45), high45) + Products(HighNibbles(v67), high67));
    }

    /// <summary>Four activation bytes (the columns a step's lanes hold) in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Broadcast(byte* a) => Vector512.Create(Unsafe.ReadUnaligned<int>(a)).AsSByte();

    /// <summary>The int16 pairs of each 32-bit lane summed into that lane (vpmaddwd by ones): exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Widen(Vector512<short> sums) => Avx512Ops.MultiplyAddAdjacent(sums, Vector512.Create((short)1));

    /// <summary>How far ahead of the bytes being read <see cref="PrefetchAhead"/> asks for lines: sixteen Q4_0 chunks (9
    /// KiB), chosen on a Zen 5.</summary>
    public const int PrefetchBytes = 9216;

    /// <summary>
    /// Whether the AVX-512 decode kernels ask for lines ahead at all (<see cref="PrefetchAhead"/>, and F16's and BF16's
    /// streams, <see cref="PackedHalfFloatStreams"/>): where the core's L1 data cache holds 48 KiB or more (a Zen 5, on
    /// which the requests were chosen; see <see cref="PrefetchAhead"/>) or where sysfs does not say, and not on a smaller
    /// L1. On a Zen 4 (32 KiB), once no kernel kept a class-initialization call in its
    /// loop (<see cref="Isa.KernelStatics"/>), a trial build run with and without the requests (then 4.5 KiB ahead; eight
    /// alternations of the matrix-vector rows, in each pair the row's limit measured in the same run) read F16 faster in 7
    /// of 8 pairs (median +9 points of the limit), BF16 in 7, Q4_0 in 6, Q2_K in 6, Q6_K in 8, and Q8_0 in 3, about even
    /// (performance log, session 27).
    /// </summary>
    public static readonly bool AsksAhead = !CacheSizes.FirstLevelDataIsSmall();

    /// <summary>
    /// A pair is two streams (<see cref="TwoStreams"/>: each continues into the next group of its own half of the run).
    /// As a kernel reads the <paramref name="spanBytes"/> at <paramref name="offset"/> of both groups, it asks for the same
    /// span <see cref="PrefetchBytes"/> further on in both: left to the hardware prefetcher, two streams read from DRAM at
    /// half the rate of one. The kernels ask block by block (a few lines per stream), not for a whole chunk or super-block
    /// at once: in trial runs outside the repository (the two kinds alternated call by call in one process, from DRAM),
    /// bursts of 18–36 requests read slower than the same requests spread over the reads, for Q4_0, Q8_0 and Q4_K.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead(byte* low, long offset, long partnerOffset, long spanBytes)
    {
        if (!AsksAhead)
            return;
        byte* next = low + offset + PrefetchBytes;
        for (long line = 0; line < spanBytes; line += 64)
        {
            Sse.Prefetch0(next + line);
            Sse.Prefetch0(next + line + partnerOffset);
        }
    }

    /// <summary>
    /// Each token's sixteen lanes (<paramref name="tokens"/> vectors at <paramref name="lanes"/>) to rows
    /// <paramref name="firstRow"/>.. of y (tokens×rows by token, from <paramref name="firstToken"/>) for the lower half and
    /// the next group's rows for the upper, skipping rows outside [0, rows): the prefill pairs' results.
    /// </summary>
    public static void StoreTokens(float* lanes, int tokens, float* y, int firstToken, int firstRow, int rows)
    {
        for (int t = 0; t < tokens; t++)
        {
            var pair = Vector512.Load(lanes + 16 * t);
            float* row = y + (long)(firstToken + t) * rows;
            PackedDot.Store(pair.GetLower(), row, firstRow, rows);
            PackedDot.Store(pair.GetUpper(), row, firstRow + PackedLayout.GroupRows, rows);
        }
    }

    /// <summary>The 32 bytes at <paramref name="low"/> in the lower half and the partner's in the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Join(byte* low, long partnerOffset)
        => Avx512Ops.InsertVector256(Vector256.Load((uint*)low).ToVector512Unsafe(), Vector256.Load((uint*)(low + partnerOffset)), 1);

    /// <summary>
    /// True when the 512-bit pair kernels run on <paramref name="path"/>. <see cref="Isa.KernelIsa"/> chooses that path
    /// only on a CPU with AVX-512BW; a caller that names it elsewhere (the tests) gets the instructions emulated
    /// (<see cref="Avx512Ops"/>), with the same bits.
    /// </summary>
    public static bool IsUsable(Isa.IsaPath path) => path >= Isa.IsaPath.Avx512;
}
