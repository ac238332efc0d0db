using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// y = W·x for one token (decode), rows split across the pool. Quantized weights run in integers: x is quantized
/// once per call to 8-bit activation blocks (Q8_0 for the 32-element types, Q8_K for the K-quants) in a per-thread
/// scratch buffer, then each row is an integer dot product. Float weights (F32/F16/BF16) widen to F32 and use FMA;
/// the 16-bit ones several rows per pass against a deinterleaved copy of x (<see cref="HalfFloatRows"/>).
/// </summary>
public static unsafe class MatVec
{
    private const int RowGrain = 16;

    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, ComputePool pool)
        => Multiply(w, x, y, pool, KernelIsa.Active);

    public static void Multiply(ReadOnlySpan<WeightMatrix> parts, ReadOnlySpan<float> x, Span<float> y, ComputePool pool)
        => Multiply(parts, x, y, pool, KernelIsa.Active);

    /// <summary>
    /// y = each part's W·x in turn (parts[0]'s rows first): the projections that read the same input, a layer's query,
    /// key and value or its gate and up. Packed parts of one type and width run as one call of the AVX-512 pair kernels
    /// (one dispatch, one quantization of x), as a matrix stacked from them would, without a stacked copy of the rows;
    /// otherwise part by part. Either way every output has the bits of a call for its part alone.
    /// </summary>
    public static void Multiply(ReadOnlySpan<WeightMatrix> parts, ReadOnlySpan<float> x, Span<float> y, ComputePool pool, IsaPath path)
    {
        if (parts.IsEmpty)
            throw new ArgumentException("no matrices to multiply", nameof(parts));
        long rows = 0;
        foreach (var part in parts)
        {
            if (part.Columns != x.Length)
                throw new ArgumentException($"input has {x.Length} values, a {part.Rows}x{part.Columns} part has {part.Columns} columns");
            rows += part.Rows;
        }
        if (y.Length != rows)
            throw new ArgumentException($"output has {y.Length} values, the parts have {rows} rows together");
        if (path > KernelIsa.Ceiling)
            throw new ArgumentException($"kernel path {path} is above what this CPU runs ({KernelIsa.Hardware})");
        if (parts.Length > 1 && PackedKernels.TryMultiplyStack(parts, x, y, pool, path))
            return;
        foreach (var part in parts)
        {
            Multiply(part, x, y[..part.Rows], pool, path);
            y = y[part.Rows..];
        }
    }

    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, ComputePool pool, IsaPath path)
    {
        if (x.Length != w.Columns)
            throw new ArgumentException($"input has {x.Length} values, weight has {w.Columns} columns");
        if (y.Length != w.Rows)
            throw new ArgumentException($"output has {y.Length} values, weight has {w.Rows} rows");
        if (path > KernelIsa.Ceiling)
            throw new ArgumentException($"kernel path {path} is above what this CPU runs ({KernelIsa.Hardware})");
        if (PackedKernels.TryMultiply(w, x, y, 1, pool, path))
            return;
        if (w.Type == GgmlType.F16)
            x = HalfActivations.Round(x, path);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            switch (w.Type)
            {
                case GgmlType.F32: RunFloat<BlockF32>(w, px, py, pool, path); break;
                case GgmlType.F16: RunHalf<BlockF16>(w, px, py, pool, path); break;
                case GgmlType.BF16: RunHalf<BlockBF16>(w, px, py, pool, path); break;
                case GgmlType.Q8_0: RunInteger<BlockQ8_0, BlockQ8_0>(w, px, py, pool, path); break;
                case GgmlType.Q4_0: RunInteger<BlockQ4_0, BlockQ8_0>(w, px, py, pool, path); break;
                case GgmlType.Q4_1: RunInteger<BlockQ4_1, BlockQ8_1>(w, px, py, pool, path); break;
                case GgmlType.Q5_1: RunInteger<BlockQ5_1, BlockQ8_1>(w, px, py, pool, path); break;
                case GgmlType.Q5_0: RunInteger<BlockQ5_0, BlockQ8_0>(w, px, py, pool, path); break;
                case GgmlType.Q2_K: RunInteger<BlockQ2_K, BlockQ8_K>(w, px, py, pool, path); break;
                case GgmlType.Q3_K: RunInteger<BlockQ3_K, BlockQ8_K>(w, px, py, pool, path); break;
                case GgmlType.Q4_K: RunInteger<BlockQ4_K, BlockQ8_K>(w, px, py, pool, path); break;
                case GgmlType.Q5_K: RunInteger<BlockQ5_K, BlockQ8_K>(w, px, py, pool, path); break;
                case GgmlType.Q6_K: RunInteger<BlockQ6_K, BlockQ8_K>(w, px, py, pool, path); break;
                default: throw new NotSupportedException($"matrix-vector product for {w.Type} weights is not supported");
            }
        }
    }

    private static void RunFloat<T>(in WeightMatrix w, float* x, float* y, ComputePool pool, IsaPath path)
        where T : struct, IFloatBlock
    {
        var job = new FloatJob<T> { W = w, X = x, Y = y, Path = path };
        pool.ForBalanced(w.Rows, ref job, RowGrain, w.ByteLength);
    }

    private static void RunHalf<T>(in WeightMatrix w, float* x, float* y, ComputePool pool, IsaPath path)
        where T : struct, IHalfFloatBlock
    {
        int group = HalfFloatRows.Group(path);
        if (group == 0)
        {
            RunFloat<T>(w, x, y, pool, path);
            return;
        }
        float* deinterleaved = (float*)MatMulScratch.Get(2, (long)w.Columns * sizeof(float));
        HalfFloatRows.Deinterleave<T>(x, deinterleaved, w.Columns, group);
        if (w.IsPacked && PackedHalfFloat.IsReadOn(path))
        {
            var packed = new PackedHalfFloatMatVec<T> { W = w, X = x, Deinterleaved = deinterleaved, Y = y, Path = path };
            pool.ForBalanced(w.Packed.GroupCount(w.Rows), ref packed, 1, w.ByteLength);
            return;
        }
        var job = new HalfJob<T> { W = w, X = x, Deinterleaved = deinterleaved, Y = y, Path = path };
        pool.ForBalanced(w.Rows, ref job, RowGrain, w.ByteLength);
    }

    private static void RunInteger<TW, TA>(in WeightMatrix w, float* x, float* y, ComputePool pool, IsaPath path)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
    {
        int blocks = w.Columns / TA.Elements;
        byte* activation = MatMulScratch.Get(2, blocks * TA.Bytes);
        ActivationQuantizer.Quantize<TA>(x, activation, blocks);
        var job = new IntegerJob<TW, TA> { W = w, A = activation, Y = y, Blocks = blocks, Path = path };
        pool.ForBalanced(w.Rows, ref job, RowGrain, w.ByteLength);
    }

    private struct FloatJob<T> : IRowJob where T : struct, IFloatBlock
    {
        public WeightMatrix W;
        public float* X;
        public float* Y;
        public IsaPath Path;

        public void Execute(int start, int end)
            => FloatRowGroups.Rows<T>((byte*)W.Data, W.RowBytes, start, end, X, W.Columns, Y, Path);
    }

    private struct HalfJob<T> : IRowJob where T : struct, IHalfFloatBlock
    {
        public WeightMatrix W;
        public float* X;
        public float* Deinterleaved;
        public float* Y;
        public IsaPath Path;

        public void Execute(int start, int end)
            => HalfFloatRows.Rows<T>((byte*)W.Data, W.RowBytes, start, end, X, Deinterleaved, W.Columns, Y, Path);
    }

    private struct IntegerJob<TW, TA> : IRowJob
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
    {
        public WeightMatrix W;
        public byte* A;
        public float* Y;
        public int Blocks;
        public IsaPath Path;

        public void Execute(int start, int end)
        {
            byte* rows = (byte*)W.Data;
            for (int r = start; r < end; r++)
                Y[r] = RowDot.Integer<TW, TA>(rows + r * W.RowBytes, A, Blocks, Path);
        }
    }
}
