using System.Runtime.InteropServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>y = W·x for one token (decode), rows split across the pool.</summary>
public static unsafe class MatVec
{
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, ComputePool pool)
        => Multiply(w, x, y, pool, KernelIsa.Active);

    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, ComputePool pool, IsaPath path)
    {
        if (x.Length != w.Columns)
            throw new ArgumentException($"input has {x.Length} values, weight has {w.Columns} columns");
        if (y.Length != w.Rows)
            throw new ArgumentException($"output has {y.Length} values, weight has {w.Rows} rows");
        if (!GgmlTypeTraits.IsSupportedWeight(w.Type))
            throw new NotSupportedException($"matrix-vector product for {w.Type} weights is not supported");
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var job = new Job { W = w, X = px, Y = py, Path = path };
            pool.For(w.Rows, ref job, grain: 16);
        }
    }

    private struct Job : IRowJob
    {
        public WeightMatrix W;
        public float* X;
        public float* Y;
        public IsaPath Path;

        public void Execute(int start, int end)
        {
            var x = new ReadOnlySpan<float>(X, W.Columns);
            byte* rows = (byte*)W.Data;
            if (W.Type == GgmlType.F32)
            {
                for (int r = start; r < end; r++)
                    Y[r] = Dot.F32(new ReadOnlySpan<float>(rows + r * W.RowBytes, W.Columns), x, Path);
                return;
            }
            // Other types: decode a row into a stack tile of floats, then a vector dot.
            const int Tile = 256;
            float* tile = stackalloc float[Tile];
            for (int r = start; r < end; r++)
            {
                byte* row = rows + r * W.RowBytes;
                float sum = 0;
                int block = GgmlTypeTraits.BlockSize(W.Type), blockBytes = GgmlTypeTraits.BlockBytes(W.Type);
                int perTile = Math.Max(block, Tile / block * block);
                for (int c = 0; c < W.Columns; c += perTile)
                {
                    int n = Math.Min(perTile, W.Columns - c);
                    var src = new ReadOnlySpan<byte>(row + (long)c / block * blockBytes, (int)((long)n / block * blockBytes));
                    Quantizer.Dequantize(W.Type, src, new Span<float>(tile, n));
                    sum += Dot.F32(new ReadOnlySpan<float>(tile, n), x.Slice(c, n), Path);
                }
                Y[r] = sum;
            }
        }
    }
}
