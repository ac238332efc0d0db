using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Unpacks eight weight rows into <see cref="PanelLayout"/> blocks: each row's quants are written in column order to a
/// small scratch, then every 32 columns of the eight rows are transposed as an 8×8 matrix of 4-byte words, which is
/// exactly the lane-per-row layout. Rows past the matrix get zero quants and zero factors (their lanes are never stored).
/// </summary>
internal static unsafe class PanelPacker
{
    /// <summary>Bytes of the per-call row scratch <see cref="Pack{TPanel}"/> needs.</summary>
    public const int RowScratchBytes = PanelLayout.Rows * 256;

    /// <summary>Rows from <paramref name="firstRow"/> (<paramref name="rowCount"/> of them, at most eight) into block b at panel + b·<paramref name="blockStride"/>.</summary>
    public static void Pack<TPanel>(byte* firstRow, long rowBytes, int rowCount, int blocks, byte* panel, long blockStride, byte* rowScratch)
        where TPanel : struct, IKQuantPanel
    {
        int weightBlockBytes = GgmlTypeTraits.BlockBytes(TPanel.Type);
        for (int b = 0; b < blocks; b++)
        {
            byte* target = panel + b * blockStride;
            int* scales = (int*)(target + PanelLayout.ScalesAt);
            int* offsets = (int*)(target + PanelLayout.OffsetsAt<TPanel>());
            float* d = (float*)(target + PanelLayout.DAt<TPanel>());
            float* offsetFactor = (float*)(target + PanelLayout.OffsetFactorAt<TPanel>());
            for (int r = 0; r < PanelLayout.Rows; r++)
            {
                if (r < rowCount)
                {
                    byte* block = firstRow + r * rowBytes + (long)b * weightBlockBytes;
                    TPanel.Quants(block, rowScratch + 256 * r);
                    TPanel.Header(block, scales + r, offsets + r, out d[r], out offsetFactor[r]);
                }
                else
                {
                    new Span<byte>(rowScratch + 256 * r, 256).Clear();
                    for (int s = 0; s < PanelLayout.SubBlocks<TPanel>(); s++)
                        scales[8 * s + r] = 0;
                    for (int i = 0; i < PanelLayout.OffsetPairs; i++)
                        offsets[8 * i + r] = 0;
                    d[r] = 0;
                    offsetFactor[r] = 0;
                }
            }
            for (int c = 0; c < 8; c++)
                Transpose(rowScratch + 32 * c, target + 8 * PanelLayout.VectorBytes * c);
        }
    }

    /// <summary>Rows r = 0..7 of 32 bytes at <paramref name="source"/> + 256·r become vectors 0..7 (word k of each row) at <paramref name="target"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(byte* source, byte* target)
    {
        var t0 = Avx2.UnpackLow(Load(source, 0), Load(source, 1));
        var t1 = Avx2.UnpackHigh(Load(source, 0), Load(source, 1));
        var t2 = Avx2.UnpackLow(Load(source, 2), Load(source, 3));
        var t3 = Avx2.UnpackHigh(Load(source, 2), Load(source, 3));
        var t4 = Avx2.UnpackLow(Load(source, 4), Load(source, 5));
        var t5 = Avx2.UnpackHigh(Load(source, 4), Load(source, 5));
        var t6 = Avx2.UnpackLow(Load(source, 6), Load(source, 7));
        var t7 = Avx2.UnpackHigh(Load(source, 6), Load(source, 7));
        // Words k and k+4 of rows 0–3 (u0..u3) and rows 4–7 (u4..u7).
        var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32();
        var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
        Store(Avx2.Permute2x128(u0, u4, 0x20), target, 0);
        Store(Avx2.Permute2x128(u1, u5, 0x20), target, 1);
        Store(Avx2.Permute2x128(u2, u6, 0x20), target, 2);
        Store(Avx2.Permute2x128(u3, u7, 0x20), target, 3);
        Store(Avx2.Permute2x128(u0, u4, 0x31), target, 4);
        Store(Avx2.Permute2x128(u1, u5, 0x31), target, 5);
        Store(Avx2.Permute2x128(u2, u6, 0x31), target, 6);
        Store(Avx2.Permute2x128(u3, u7, 0x31), target, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Load(byte* source, int row) => Vector256.Load((int*)(source + 256 * row));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<int> words, byte* target, int k) => words.Store((int*)(target + PanelLayout.VectorBytes * k));
}
