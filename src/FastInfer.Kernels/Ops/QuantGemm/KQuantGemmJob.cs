using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// The K-quant prefill work of one thread over pairs of eight-row groups, read from the ggml rows or, for a packed
/// matrix, from its packed copy (a whole group straight into its panel, <see cref="PanelFromPacked"/>; a partial group,
/// or one a row slice starts inside, through its rows written back). Per chunk of <see cref="TokenChunk"/> tokens
/// (their Q8_K activations stay in L2) each pair is unpacked once into a panel (L1/L2), then tiles of
/// <see cref="TokenTile"/> tokens run over it: each activation broadcast feeds both groups, so eight independent
/// vpdpbusd chains hide the instruction's latency. Per sub-block one integer scale multiply, per block the offset
/// terms by vpmaddwd and one float step per (row, token) in block order. The integer sums are exact, so no grouping
/// of rows, tokens or threads changes a bit.
/// </summary>
internal unsafe struct KQuantGemmJob<TPanel, TStep> : IRowJob
    where TPanel : struct, IKQuantPanel where TStep : struct, IPackedStep
{
    public const int TokenChunk = 128, PackedTokenChunk = 512, TokenTile = 4, PairRows = 2 * PanelLayout.Rows;

    public WeightMatrix W;
    /// <summary>Set when the rows are read back from the matrix's packed copy (<see cref="PackedRows"/>), not from its own rows.</summary>
    public bool FromPacked;
    public int Blocks;
    /// <summary>Token t's Q8_K blocks start at A + t·<see cref="ActivationRow"/>.</summary>
    public byte* A;
    public long ActivationRow;
    public int Tokens;
    public float* Y;
    /// <summary>Set on the AVX-512 path without vpdpbusd: the pair panels go through <see cref="KQuantPairPrefill"/>.</summary>
    public bool WidePairs;

    private static int BlockBytes => PanelLayout.BlockBytes<TPanel>();

    public void Execute(int firstPair, int endPair)
    {
        long panelBytes = 2L * Blocks * BlockBytes;
        long rowBytes = W.RowBytes;
        long groupBytes = FromPacked ? PanelLayout.Rows * rowBytes : 0;
        byte* panel = MatMulScratch.Get(3, panelBytes + PanelPacker.RowScratchBytes + groupBytes);
        byte* rowScratch = panel + panelBytes;
        byte* groupRows = rowScratch + PanelPacker.RowScratchBytes;
        // Panels made from a packed copy cost a pass over the pair's bytes per chunk: longer chunks spread it over more
        // tokens, their activations then coming from the L3 instead of the L2.
        int chunk = FromPacked ? PackedTokenChunk : TokenChunk;
        for (int c0 = 0; c0 < Tokens; c0 += chunk)
        {
            int c1 = Math.Min(Tokens, c0 + chunk);
            for (int pair = firstPair; pair < endPair; pair++)
            {
                int firstRow = pair * PairRows;
                for (int g = 0; g < 2; g++)
                {
                    int groupRow = firstRow + g * PanelLayout.Rows;
                    int rowCount = Math.Clamp(W.Rows - groupRow, 0, PanelLayout.Rows);
                    byte* rows = (byte*)W.Data + groupRow * rowBytes;
                    int lane = W.Packed.RowOffset + groupRow;
                    if (FromPacked && rowCount == PanelLayout.Rows && lane % PackedLayout.GroupRows == 0)
                    {
                        byte* group = (byte*)W.Packed.FirstGroup + lane / PackedLayout.GroupRows * W.Packed.GroupBytes;
                        PanelFromPacked.Pack<TPanel>(group, Blocks, panel + g * BlockBytes, 2L * BlockBytes);
                        continue;
                    }
                    if (FromPacked && rowCount > 0)
                    {
                        PackedRows.Read(W, groupRow, rowCount, groupRows);
                        rows = groupRows;
                    }
                    PanelPacker.Pack<TPanel>(rows, rowBytes, rowCount, Blocks, panel + g * BlockBytes, 2L * BlockBytes, rowScratch);
                }
                if (WidePairs)
                {
                    for (int t = c0; t < c1; t += KQuantPairPrefill.MaxTokens)
                        KQuantPairPrefill.Multiply<TPanel>(panel, Blocks, A, ActivationRow, t, Math.Min(KQuantPairPrefill.MaxTokens, c1 - t), Y, firstRow, W.Rows);
                    continue;
                }
                for (int t = c0; t < c1; t += TokenTile)
                    Tile(panel, firstRow, t, Math.Min(TokenTile, c1 - t));
            }
        }
    }

    /// <summary>The pair's panel against <paramref name="count"/> (1..4) tokens from <paramref name="t"/>; fewer than four repeat the last.</summary>
    /// <remarks>
    /// The block sums and the results live in small arrays on the stack (a few loads and stores per 32-column sub-block),
    /// not in registers: with all 24 of them in registers the JIT copied each dot chain to another register and back
    /// around every vpdpbusd (two moves per multiply, the inner loop's instructions doubled). Only the eight chains, the
    /// two weight vectors and the broadcast are live in the inner loop now.
    /// </remarks>
    private readonly void Tile(byte* panel, int firstRow, int t, int count)
    {
        byte* a0 = A + t * ActivationRow;
        byte* a1 = A + (t + Math.Min(1, count - 1)) * ActivationRow;
        byte* a2 = A + (t + Math.Min(2, count - 1)) * ActivationRow;
        byte* a3 = A + (t + count - 1) * ActivationRow;
        // Per token i: results[i] for group a, results[4 + i] for group b; the block sums likewise.
        var results = new EightFloatVectors();
        var sums = new EightIntVectors();
        int subBlocks = PanelLayout.SubBlocks<TPanel>();
        // Q6_K keeps a vpmaddwd per step: its runs would be eight columns, two per sub-block, and a first version that
        // ran them was slower for Q6_K in bench-kernels (session 15). Both conditions are types, so the JIT compiles one
        // path per instantiation (with the choice made at run time, the unused path's registers cost the other one).
        bool int16Runs = typeof(TStep) == typeof(MaddubsPackedStep) && typeof(TPanel) != typeof(Q6KPanel);
        // Columns added in int16 before a widening: a sub-block, or as much of it as Int16Run allows for the panel's quants
        // (Q5_K widens twice per sub-block). A local: as a property called in the loop, it was not inlined, and every
        // int16 sum was spilled around the call.
        int runColumns = int16Runs
            ? Math.Min(TPanel.SubBlockColumns, 4 * MaddubsPackedStep.Int16Run(TPanel.MaxQuant) / 8 * 8)
            : 0;
        for (int b = 0; b < Blocks; b++)
        {
            byte* wa = panel + 2L * b * BlockBytes;
            byte* wb = wa + BlockBytes;
            int* scalesA = (int*)(wa + PanelLayout.ScalesAt), scalesB = (int*)(wb + PanelLayout.ScalesAt);
            long at = (long)b * BlockQ8_K.ByteCount;
            byte* q0 = a0 + at + BlockQ8_K.QuantOffset, q1 = a1 + at + BlockQ8_K.QuantOffset;
            byte* q2 = a2 + at + BlockQ8_K.QuantOffset, q3 = a3 + at + BlockQ8_K.QuantOffset;
            sums = default;
            for (int s = 0; s < subBlocks; s++)
            {
                if (int16Runs)
                {
                    var pairA = ScalePairs(Vector256.Load(scalesA + 8 * s));
                    var pairB = ScalePairs(Vector256.Load(scalesB + 8 * s));
                    for (int c = 0; c < TPanel.SubBlockColumns; c += runColumns)
                    {
                        Vector256<short> u0 = default, u1 = default, u2 = default, u3 = default;
                        Vector256<short> v0 = default, v1 = default, v2 = default, v3 = default;
                        for (int k = 0; k < runColumns; k += 8)
                        {
                            Products(wa, wb, q0, q1, q2, q3, ref u0, ref u1, ref u2, ref u3, ref v0, ref v1, ref v2, ref v3);
                            Products(wa + 32, wb + 32, q0 + 4, q1 + 4, q2 + 4, q3 + 4, ref u0, ref u1, ref u2, ref u3, ref v0, ref v1, ref v2, ref v3);
                            wa += 64; wb += 64;
                            q0 += 8; q1 += 8; q2 += 8; q3 += 8;
                        }
                        sums[0] += Avx2.MultiplyAddAdjacent(u0, pairA); sums[1] += Avx2.MultiplyAddAdjacent(u1, pairA);
                        sums[2] += Avx2.MultiplyAddAdjacent(u2, pairA); sums[3] += Avx2.MultiplyAddAdjacent(u3, pairA);
                        sums[4] += Avx2.MultiplyAddAdjacent(v0, pairB); sums[5] += Avx2.MultiplyAddAdjacent(v1, pairB);
                        sums[6] += Avx2.MultiplyAddAdjacent(v2, pairB); sums[7] += Avx2.MultiplyAddAdjacent(v3, pairB);
                    }
                    continue;
                }
                Vector256<int> x0 = default, x1 = default, x2 = default, x3 = default;
                Vector256<int> y0 = default, y1 = default, y2 = default, y3 = default;
                for (int k = 0; k < TPanel.SubBlockColumns; k += 16)
                {
                    Step(wa, wb, q0, q1, q2, q3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1, ref y2, ref y3);
                    Step(wa + 32, wb + 32, q0 + 4, q1 + 4, q2 + 4, q3 + 4, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1, ref y2, ref y3);
                    Step(wa + 64, wb + 64, q0 + 8, q1 + 8, q2 + 8, q3 + 8, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1, ref y2, ref y3);
                    Step(wa + 96, wb + 96, q0 + 12, q1 + 12, q2 + 12, q3 + 12, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1, ref y2, ref y3);
                    wa += 128; wb += 128;
                    q0 += 16; q1 += 16; q2 += 16; q3 += 16;
                }
                var scaleA = Vector256.Load(scalesA + 8 * s);
                var scaleB = Vector256.Load(scalesB + 8 * s);
                sums[0] += x0 * scaleA; sums[1] += x1 * scaleA; sums[2] += x2 * scaleA; sums[3] += x3 * scaleA;
                sums[4] += y0 * scaleB; sums[5] += y1 * scaleB; sums[6] += y2 * scaleB; sums[7] += y3 * scaleB;
            }
            wa = panel + 2L * b * BlockBytes;
            wb = wa + BlockBytes;
            Finish(wa, wb, a0 + at, sums[0], sums[4], ref results[0], ref results[4]);
            Finish(wa, wb, a1 + at, sums[1], sums[5], ref results[1], ref results[5]);
            Finish(wa, wb, a2 + at, sums[2], sums[6], ref results[2], ref results[6]);
            Finish(wa, wb, a3 + at, sums[3], sums[7], ref results[3], ref results[7]);
        }
        int rows = W.Rows;
        float* y = Y + (long)t * rows;
        int secondRow = firstRow + PanelLayout.Rows;
        for (int i = 0; i < count; i++)
        {
            PackedDot.Store(results[i], y + i * (long)rows, firstRow, rows);
            PackedDot.Store(results[4 + i], y + i * (long)rows, secondRow, rows);
        }
    }

    /// <summary>A sub-block's scales (one int per row) as int16 pairs (scale, scale): vpmaddwd against them widens a lane's
    /// two int16 sums and scales them in one instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ScalePairs(Vector256<int> scales)
        => ((scales & Vector256.Create(0xFFFF)) | Vector256.ShiftLeft(scales, 16)).AsInt16();

    /// <summary>
    /// <see cref="Step"/> for AVX2 without the widening: each vpmaddubsw result adds into int16 lanes, a vpaddw where the
    /// step took a vpmaddwd and a vpaddd, so the tile issues about half the multiplies (the integers are the same).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Products(byte* wa, byte* wb, byte* q0, byte* q1, byte* q2, byte* q3,
        ref Vector256<short> x0, ref Vector256<short> x1, ref Vector256<short> x2, ref Vector256<short> x3,
        ref Vector256<short> y0, ref Vector256<short> y1, ref Vector256<short> y2, ref Vector256<short> y3)
    {
        var va = Vector256.Load(wa);
        var vb = Vector256.Load(wb);
        var a = Broadcast(q0);
        x0 += Avx2.MultiplyAddAdjacent(va, a); y0 += Avx2.MultiplyAddAdjacent(vb, a);
        a = Broadcast(q1);
        x1 += Avx2.MultiplyAddAdjacent(va, a); y1 += Avx2.MultiplyAddAdjacent(vb, a);
        a = Broadcast(q2);
        x2 += Avx2.MultiplyAddAdjacent(va, a); y2 += Avx2.MultiplyAddAdjacent(vb, a);
        a = Broadcast(q3);
        x3 += Avx2.MultiplyAddAdjacent(va, a); y3 += Avx2.MultiplyAddAdjacent(vb, a);
    }

    /// <summary>Four columns of both groups against four tokens: eight independent vpdpbusd chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(byte* wa, byte* wb, byte* q0, byte* q1, byte* q2, byte* q3,
        ref Vector256<int> x0, ref Vector256<int> x1, ref Vector256<int> x2, ref Vector256<int> x3,
        ref Vector256<int> y0, ref Vector256<int> y1, ref Vector256<int> y2, ref Vector256<int> y3)
    {
        var va = Vector256.Load(wa);
        var vb = Vector256.Load(wb);
        var a = Broadcast(q0);
        x0 = TStep.Step(x0, va, a); y0 = TStep.Step(y0, vb, a);
        a = Broadcast(q1);
        x1 = TStep.Step(x1, va, a); y1 = TStep.Step(y1, vb, a);
        a = Broadcast(q2);
        x2 = TStep.Step(x2, va, a); y2 = TStep.Step(y2, vb, a);
        a = Broadcast(q3);
        x3 = TStep.Step(x3, va, a); y3 = TStep.Step(y3, vb, a);
    }

    /// <summary>
    /// Adds one block of one token to both groups: the offset terms from the activation group sums (each broadcast
    /// feeds both groups), then the float step of each row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(byte* wa, byte* wb, byte* activationBlock, Vector256<int> sumA, Vector256<int> sumB,
        ref Vector256<float> accA, ref Vector256<float> accB)
    {
        var offsetsA = (short*)(wa + PanelLayout.OffsetsAt<TPanel>());
        var offsetsB = (short*)(wb + PanelLayout.OffsetsAt<TPanel>());
        byte* groupSums = activationBlock + BlockQ8_K.SumOffset;
        Vector256<int> offsetA = default, offsetB = default;
        for (int i = 0; i < PanelLayout.OffsetPairs; i++)
        {
            var sums = Broadcast(groupSums + 4 * i).AsInt16();
            offsetA += Avx2.MultiplyAddAdjacent(Vector256.Load(offsetsA + 16 * i), sums);
            offsetB += Avx2.MultiplyAddAdjacent(Vector256.Load(offsetsB + 16 * i), sums);
        }
        var da = Vector256.Create(BlockQ8_K.Scale(activationBlock));
        accA = AddBlock(wa, sumA, offsetA, da, accA);
        accB = AddBlock(wb, sumB, offsetB, da, accB);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AddBlock(byte* p, Vector256<int> sum, Vector256<int> offset, Vector256<float> da, Vector256<float> acc)
    {
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Load((float*)(p + PanelLayout.DAt<TPanel>())) * da, acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(offset), Vector256.Load((float*)(p + PanelLayout.OffsetFactorAt<TPanel>())) * da, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(byte* fourBytes) => Vector256.Create(Unsafe.ReadUnaligned<int>(fourBytes)).AsSByte();
}
