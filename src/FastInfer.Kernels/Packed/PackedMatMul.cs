using System.Runtime.Intrinsics;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Prefill over the packed layout. Per chunk of <see cref="TokenChunk"/> tokens (their prepared activations stay in
/// L2) each thread walks its groups; a group's weights (a few KiB per block row) stay in L1 while tiles of
/// <see cref="TokenTile"/> tokens run over them, each block unpacked once per tile and used by every token in it.
/// </summary>
internal unsafe struct PackedMatMul<TFormat, TStep> : IRowJob
    where TFormat : struct, IPackedFormat where TStep : struct, IPackedStep
{
    private const int TokenChunk = 64, TokenTile = 4;

    public PackedView View;
    public int Rows;
    public int Blocks;
    public PackedActivations A;
    public int Tokens;
    public float* Y;

    public void Execute(int firstGroup, int endGroup)
    {
        for (int c0 = 0; c0 < Tokens; c0 += TokenChunk)
        {
            int c1 = Math.Min(Tokens, c0 + TokenChunk);
            for (int g = firstGroup; g < endGroup; g++)
            {
                byte* group = (byte*)View.FirstGroup + g * View.GroupBytes;
                int firstRow = g * PackedLayout.GroupRows - View.RowOffset;
                int t = c0;
                for (; t + TokenTile <= c1; t += TokenTile)
                    Tile(group, firstRow, t);
                for (; t < c1; t++)
                {
                    var lanes = PackedDot.Group<TFormat, TStep>(group, Blocks, A.Quants(t), A.Scales(t), A.Corrections(t));
                    PackedDot.Store(lanes, Y + (long)t * Rows, firstRow, Rows);
                }
            }
        }
    }

    private readonly void Tile(byte* group, int firstRow, int t)
    {
        byte* q0 = A.Quants(t), q1 = A.Quants(t + 1), q2 = A.Quants(t + 2), q3 = A.Quants(t + 3);
        float* s0 = A.Scales(t), s1 = A.Scales(t + 1), s2 = A.Scales(t + 2), s3 = A.Scales(t + 3);
        int* k0 = A.Corrections(t), k1 = A.Corrections(t + 1), k2 = A.Corrections(t + 2), k3 = A.Corrections(t + 3);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        byte* chunk = group;
        for (int b = 0; b < Blocks; chunk += PackedLayout.ChunkBytes(TFormat.QuantBytesPerBlock))
        {
            byte* weights = chunk + PackedLayout.ChunkScaleBytes;
            for (int j = 0, end = Math.Min(Blocks - b, PackedLayout.ChunkBlocks); j < end; j++, b++)
            {
                TFormat.Unpack(weights + j * TFormat.QuantBytesPerBlock, out var w0, out var w1, out var w2, out var w3,
                    out var w4, out var w5, out var w6, out var w7);
                var rowScales = PackedScales.Load(chunk + j * PackedLayout.ScaleBytesPerBlock);
                int at = b * 32;
                c0 = PackedDot.Block<TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, q0 + at, s0[b], k0[b], c0);
                c1 = PackedDot.Block<TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, q1 + at, s1[b], k1[b], c1);
                c2 = PackedDot.Block<TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, q2 + at, s2[b], k2[b], c2);
                c3 = PackedDot.Block<TStep>(w0, w1, w2, w3, w4, w5, w6, w7, rowScales, q3 + at, s3[b], k3[b], c3);
            }
        }
        float* y = Y + (long)t * Rows;
        PackedDot.Store(c0, y, firstRow, Rows);
        PackedDot.Store(c1, y + Rows, firstRow, Rows);
        PackedDot.Store(c2, y + 2L * Rows, firstRow, Rows);
        PackedDot.Store(c3, y + 3L * Rows, firstRow, Rows);
    }
}
