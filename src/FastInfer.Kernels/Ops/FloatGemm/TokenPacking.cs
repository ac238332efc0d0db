using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// The activations' side of the float GEMM: X (tokens × columns, row-major) into depth blocks of token tiles laid out
/// [k][tile tokens] (tokens past the end are zero; a tile is a multiple of 8 tokens), and the transposed outputs back into Y (tokens × rows). Both move
/// 8×8 blocks through registers (<see cref="Transpose8x8"/>) and finish ragged edges element by element.
/// </summary>
internal static unsafe class TokenPacking
{
    /// <summary>Packs tile by tile: packed[block][tile][k][t] = X[first + t, block·DepthBlock + k], where first is the
    /// tile's first token (<see cref="TokenTiles.FirstToken"/>) and t below its vectors' width; lanes past that are zero.</summary>
    public struct Job : IRowJob
    {
        public float* X;
        public float* Packed;
        public int Columns, Tokens, DepthBlock, TileTokens;
        public TokenTiles Tiles;

        public readonly void Execute(int start, int end)
        {
            int T = TileTokens;
            int tiles = Tiles.Count;
            long tileFloats = (long)DepthBlock * T;
            for (int tile = start; tile < end; tile++)
            {
                int first = Tiles.FirstToken(tile);
                int valid = Math.Min(Tiles.Width(tile), Tokens - first);
                float* src = X + (long)first * Columns;
                for (int k0 = 0, block = 0; k0 < Columns; k0 += DepthBlock, block++)
                {
                    int depth = Math.Min(DepthBlock, Columns - k0);
                    float* dst = Packed + (block * tiles + tile) * tileFloats;
                    int t = 0;
                    for (; t + 8 <= valid; t += 8)
                    {
                        int k = 0;
                        for (; k + 8 <= depth; k += 8)
                            Transpose8x8.Run(src + (long)t * Columns + k0 + k, Columns, dst + k * T + t, T);
                        for (; k < depth; k++)
                            for (int i = 0; i < 8; i++)
                                dst[k * T + t + i] = src[(long)(t + i) * Columns + k0 + k];
                    }
                    for (int k = 0; k < depth; k++)
                    {
                        for (int i = t; i < valid; i++)
                            dst[k * T + i] = src[(long)i * Columns + k0 + k];
                        new Span<float>(dst + k * T + valid, T - valid).Clear();
                    }
                }
            }
        }
    }

    /// <summary>Y[t, r] = outputs[r, t] for r &lt; <paramref name="rows"/>, t &lt; <paramref name="tokens"/>; Y rows are <paramref name="ldy"/> apart.</summary>
    public static void Unpack(float* outputs, int ldc, int rows, int tokens, float* y, int ldy)
    {
        int r = 0;
        for (; r + 8 <= rows; r += 8)
        {
            int t = 0;
            for (; t + 8 <= tokens; t += 8)
                Transpose8x8.Run(outputs + r * ldc + t, ldc, y + (long)t * ldy + r, ldy);
            for (; t < tokens; t++)
                for (int i = 0; i < 8; i++)
                    y[(long)t * ldy + r + i] = outputs[(r + i) * ldc + t];
        }
        for (; r < rows; r++)
            for (int t = 0; t < tokens; t++)
                y[(long)t * ldy + r] = outputs[r * ldc + t];
    }
}
