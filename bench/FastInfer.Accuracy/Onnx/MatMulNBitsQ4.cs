using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Accuracy.Onnx;

/// <summary>
/// A Q4_0 weight matrix re-packed into ONNX Runtime's com.microsoft MatMulNBits layout (bits 4, block 32,
/// no zero-point input so the default 8 applies), so ORT dequantizes exactly the values Q4_0 stores:
/// Q4_0 keeps element j in the low nibble of byte j and j+16 in the high one; MatMulNBits packs elements
/// low-first in order (2b low, 2b+1 high).
/// </summary>
public static class MatMulNBitsQ4
{
    private const int Block = 32, BlockBytes = 18;

    /// <summary>y = x · dequant(W)ᵀ by ORT for x of <paramref name="tokens"/> rows.</summary>
    public static float[] Multiply(WeightMatrix w, float[] x, int tokens)
    {
        if (w.Type != GgmlType.Q4_0)
            throw new ArgumentException($"MatMulNBits cross-checks Q4_0 weights, not {w.Type}");
        int n = w.Rows, k = w.Columns, blocks = k / Block;
        var packed = new byte[n * blocks * (Block / 2)];
        var scales = new float[n * blocks];
        Span<byte> codes = stackalloc byte[Block];
        for (int r = 0; r < n; r++)
        {
            var row = w.RowSpan(r);
            for (int b = 0; b < blocks; b++)
            {
                var block = row.Slice(b * BlockBytes, BlockBytes);
                scales[r * blocks + b] = (float)BitConverter.ToHalf(block[..2]);
                for (int j = 0; j < 16; j++)
                {
                    codes[j] = (byte)(block[2 + j] & 0x0F);
                    codes[j + 16] = (byte)(block[2 + j] >> 4);
                }
                var blob = packed.AsSpan((r * blocks + b) * (Block / 2), Block / 2);
                for (int i = 0; i < Block / 2; i++)
                    blob[i] = (byte)(codes[2 * i] | (codes[2 * i + 1] << 4));
            }
        }
        var g = new OnnxGraph();
        string a = g.Input("x", OnnxGraph.FloatType, tokens, k);
        g.Output(g.Node("MatMulNBits", [a, g.Constant(packed, n, blocks, Block / 2), g.Constant(scales, n * blocks)],
            attributes => attributes.Int("K", k).Int("N", n).Int("bits", 4).Int("block_size", Block), "com.microsoft"));
        return OnnxRunner.Run(g.ToModel(), OnnxRunner.Floats("x", x, tokens, k));
    }

    /// <summary>
    /// The most our Q4_0 product may differ from exact math on the same weights: our path rounds each 32-value
    /// block of x to Q8_0 (step amax/127, so each value moves by at most half a step), which moves output r by at
    /// most Σ_blocks (amax_block/254)·Σ|w| over the block; plus float accumulation slack.
    /// </summary>
    public static float[] ActivationRoundingBound(WeightMatrix w, float[] x, int tokens)
    {
        int n = w.Rows, k = w.Columns;
        var bound = new float[tokens * n];
        var row = new float[k];
        for (int r = 0; r < n; r++)
        {
            Quantizer.Dequantize(w.Type, w.RowSpan(r), row);
            for (int t = 0; t < tokens; t++)
            {
                double total = 0, magnitude = 0;
                for (int b = 0; b < k; b += Block)
                {
                    double amax = 0, weights = 0;
                    for (int i = b; i < b + Block; i++)
                    {
                        amax = Math.Max(amax, Math.Abs(x[t * k + i]));
                        weights += Math.Abs(row[i]);
                        magnitude += Math.Abs(row[i] * x[t * k + i]);
                    }
                    total += amax / 254 * weights;
                }
                bound[t * n + r] = (float)(total + 1e-5 * magnitude);
            }
        }
        return bound;
    }
}
