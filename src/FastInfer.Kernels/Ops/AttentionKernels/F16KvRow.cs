using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>A half-precision KV cache row, widened to float in registers (half the cache bytes per token).</summary>
internal readonly unsafe struct F16KvRow : IKvRow
{
    public static int ElementBytes => sizeof(ushort);

    public static float Dot(float* q, byte* row, int n, IsaPath path)
    {
        var k = (ushort*)row;
        int i = 0;
        float sum = 0;
        if (path >= IsaPath.Avx512 && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), HalfWidening.ToSingle(Vector256.Load(k + i)), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i + 16), HalfWidening.ToSingle(Vector256.Load(k + i + 16)), acc1);
            }
            for (; i + 16 <= n; i += 16)
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), HalfWidening.ToSingle(Vector256.Load(k + i)), acc0);
            sum = Vector512.Sum(acc0 + acc1);
        }
        if (path >= IsaPath.Avx2 && n - i >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(q + i), HalfWidening.ToSingle(Vector128.Load(k + i)), acc);
            sum += Vector256.Sum(acc);
        }
        if (path >= IsaPath.V128 && n - i >= 8)
        {
            var acc = Vector128<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var h = Vector128.Load(k + i);
                acc = Vector128.FusedMultiplyAdd(Vector128.Load(q + i), HalfWidening.ToSingle(h, lowerHalf: true), acc);
                acc = Vector128.FusedMultiplyAdd(Vector128.Load(q + i + 4), HalfWidening.ToSingle(h, lowerHalf: false), acc);
            }
            sum += Vector128.Sum(acc);
        }
        for (; i < n; i++)
            sum = MathF.FusedMultiplyAdd(q[i], HalfWidening.ToSingle(k[i]), sum);
        return sum;
    }

    public static void Widen(byte* row, float* dst, int n, IsaPath path)
    {
        var h = (ushort*)row;
        int i = 0;
        if (path >= IsaPath.Avx512)
            for (; i + 16 <= n; i += 16)
                HalfWidening.ToSingle(Vector256.Load(h + i)).Store(dst + i);
        if (path >= IsaPath.Avx2)
            for (; i + 8 <= n; i += 8)
                HalfWidening.ToSingle(Vector128.Load(h + i)).Store(dst + i);
        if (path >= IsaPath.V128)
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector128.Load(h + i);
                HalfWidening.ToSingle(v, lowerHalf: true).Store(dst + i);
                HalfWidening.ToSingle(v, lowerHalf: false).Store(dst + i + 4);
            }
        for (; i < n; i++)
            dst[i] = HalfWidening.ToSingle(h[i]);
    }

    public static void AddScaled(float* o, byte* row, float w, int n, IsaPath path)
    {
        var v = (ushort*)row;
        int i = 0;
        if (path >= IsaPath.Avx512)
        {
            var w512 = Vector512.Create(w);
            for (; i + 16 <= n; i += 16)
                Vector512.FusedMultiplyAdd(HalfWidening.ToSingle(Vector256.Load(v + i)), w512, Vector512.Load(o + i)).Store(o + i);
        }
        if (path >= IsaPath.Avx2)
        {
            var w256 = Vector256.Create(w);
            for (; i + 8 <= n; i += 8)
                Vector256.FusedMultiplyAdd(HalfWidening.ToSingle(Vector128.Load(v + i)), w256, Vector256.Load(o + i)).Store(o + i);
        }
        if (path >= IsaPath.V128)
        {
            var w128 = Vector128.Create(w);
            for (; i + 8 <= n; i += 8)
            {
                var h = Vector128.Load(v + i);
                Vector128.FusedMultiplyAdd(HalfWidening.ToSingle(h, lowerHalf: true), w128, Vector128.Load(o + i)).Store(o + i);
                Vector128.FusedMultiplyAdd(HalfWidening.ToSingle(h, lowerHalf: false), w128, Vector128.Load(o + i + 4)).Store(o + i + 4);
            }
        }
        for (; i < n; i++)
            o[i] = MathF.FusedMultiplyAdd(HalfWidening.ToSingle(v[i]), w, o[i]);
    }
}
