using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// The K-quant prefill work of one thread over pairs of eight-row groups. Per chunk of <see cref="TokenChunk"/> tokens
/// (their Q8_K activations stay in L2) each pair is unpacked once into a panel (L1/L2), then tiles of
/// <see cref="TokenTile"/> tokens run over it: each activation broadcast feeds both groups, so eight independent
/// vpdpbusd chains hide the instruction's latency. Per sub-block one integer scale multiply, per block the offset
/// terms by vpmaddwd and one float step per (row, token) in block order. The integer sums are exact, so no grouping
/// of rows, tokens or threads changes a bit.
/// </summary>
internal unsafe struct KQuantGemmJob<TPanel, TStep> : IRowJob
    where TPanel : struct, IKQuantPanel where TStep : struct, IPackedStep
{
    public const int TokenChunk = 128, TokenTile = 4, PairRows = 2 * PanelLayout.Rows;

    public byte* Weights;
    public long RowBytes;
    public int Rows;
    public int Blocks;
    /// <summary>Token t's Q8_K blocks start at A + t·<see cref="ActivationRow"/>.</summary>
    public byte* A;
    public long ActivationRow;
    public int Tokens;
    public float* Y;

    private static int BlockBytes => PanelLayout.BlockBytes<TPanel>();

    public void Execute(int firstPair, int endPair)
    {
        long panelBytes = 2L * Blocks * BlockBytes;
        byte* panel = MatMulScratch.Get(3, panelBytes + PanelPacker.RowScratchBytes + 2 * TokenTile * 2 * 32);
        byte* rowScratch = panel + panelBytes;
        // The tile's int and float accumulators of both groups live here rather than in registers, which hold the
        // eight dot chains; they are touched once per sub-block and once per block.
        var sums = (Vector256<int>*)(rowScratch + PanelPacker.RowScratchBytes);
        var results = (Vector256<float>*)(sums + 2 * TokenTile);
        for (int c0 = 0; c0 < Tokens; c0 += TokenChunk)
        {
            int c1 = Math.Min(Tokens, c0 + TokenChunk);
            for (int pair = firstPair; pair < endPair; pair++)
            {
                int firstRow = pair * PairRows;
                for (int g = 0; g < 2; g++)
                {
                    int groupRow = firstRow + g * PanelLayout.Rows;
                    PanelPacker.Pack<TPanel>(Weights + groupRow * RowBytes, RowBytes, Math.Clamp(Rows - groupRow, 0, PanelLayout.Rows), Blocks,
                        panel + g * BlockBytes, 2L * BlockBytes, rowScratch);
                }
                for (int t = c0; t < c1; t += TokenTile)
                    Tile(panel, firstRow, t, Math.Min(TokenTile, c1 - t), sums, results);
            }
        }
    }

    /// <summary>The pair's panel against <paramref name="count"/> (1..4) tokens from <paramref name="t"/>; fewer than four repeat the last.</summary>
    private readonly void Tile(byte* panel, int firstRow, int t, int count, Vector256<int>* sums, Vector256<float>* results)
    {
        byte* a0 = A + t * ActivationRow;
        byte* a1 = A + (t + Math.Min(1, count - 1)) * ActivationRow;
        byte* a2 = A + (t + Math.Min(2, count - 1)) * ActivationRow;
        byte* a3 = A + (t + count - 1) * ActivationRow;
        for (int i = 0; i < 2 * TokenTile; i++)
            results[i] = default;
        int subBlocks = PanelLayout.SubBlocks<TPanel>();
        for (int b = 0; b < Blocks; b++)
        {
            byte* wa = panel + 2L * b * BlockBytes;
            byte* wb = wa + BlockBytes;
            int* scalesA = (int*)(wa + PanelLayout.ScalesAt), scalesB = (int*)(wb + PanelLayout.ScalesAt);
            long at = (long)b * BlockQ8_K.ByteCount + BlockQ8_K.QuantOffset;
            byte* q0 = a0 + at, q1 = a1 + at, q2 = a2 + at, q3 = a3 + at;
            for (int i = 0; i < 2 * TokenTile; i++)
                sums[i] = default;
            for (int s = 0; s < subBlocks; s++)
            {
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
            at = (long)b * BlockQ8_K.ByteCount;
            byte* b0 = a0 + at, b1 = a1 + at, b2 = a2 + at, b3 = a3 + at;
            results[0] = Finish(wa, b0, sums[0], results[0]); results[4] = Finish(wb, b0, sums[4], results[4]);
            results[1] = Finish(wa, b1, sums[1], results[1]); results[5] = Finish(wb, b1, sums[5], results[5]);
            results[2] = Finish(wa, b2, sums[2], results[2]); results[6] = Finish(wb, b2, sums[6], results[6]);
            results[3] = Finish(wa, b3, sums[3], results[3]); results[7] = Finish(wb, b3, sums[7], results[7]);
        }
        float* y = Y + (long)t * Rows;
        int secondRow = firstRow + PanelLayout.Rows;
        for (int i = 0; i < count; i++, y += Rows)
        {
            PackedDot.Store(results[i], y, firstRow, Rows);
            PackedDot.Store(results[TokenTile + i], y, secondRow, Rows);
        }
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

    /// <summary>Adds one block of one token and one group: its offset terms from the activation group sums, then the float step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(byte* p, byte* activationBlock, Vector256<int> sum, Vector256<float> acc)
    {
        var offsets = (short*)(p + PanelLayout.OffsetsAt<TPanel>());
        byte* groupSums = activationBlock + BlockQ8_K.SumOffset;
        var offset = Vector256<int>.Zero;
        for (int i = 0; i < PanelLayout.OffsetPairs; i++)
            offset += Avx2.MultiplyAddAdjacent(Vector256.Load(offsets + 16 * i), Broadcast(groupSums + 4 * i).AsInt16());
        var da = Vector256.Create(BlockQ8_K.Scale(activationBlock));
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Load((float*)(p + PanelLayout.DAt<TPanel>())) * da, acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(offset), Vector256.Load((float*)(p + PanelLayout.OffsetFactorAt<TPanel>())) * da, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(byte* fourBytes) => Vector256.Create(Unsafe.ReadUnaligned<int>(fourBytes)).AsSByte();
}
