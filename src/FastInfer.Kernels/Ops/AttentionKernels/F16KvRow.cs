using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
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

    /// <summary>2^112: the half's exponent bias (15) moved into a float's (127) without the multiply that would rebias it.</summary>
    public static float ShortfallScale => 5.192296858534828e33f;

    /// <summary>
    /// Three instructions instead of an exact widening's eight: sign-extended, the half's bits shifted by 13 land in a
    /// float's sign, exponent and mantissa fields, with copies of the sign in bits 28–30 that the mask clears. The result
    /// is the half's value times 2^-112 for every finite half (subnormals become float subnormals), but an infinity or
    /// NaN comes out finite: callers check a tile with <see cref="HasUnscalable"/> first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadScaled(byte* row, int element)
    {
        var extended = Avx512Ops.ConvertToVector512Int32(Vector256.Load((short*)row + element));
        return ((extended << 13) & Vector512.Create(unchecked((int)0x8fffffff))).AsSingle();
    }

    /// <inheritdoc cref="LoadScaled"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadScaled256(byte* row, int element)
    {
        var extended = Avx2.ConvertToVector256Int32((short*)row + element);
        return ((extended << 13) & Vector256.Create(unchecked((int)0x8fffffff))).AsSingle();
    }

    public static bool HasUnscalable(byte* keys, byte* values, long strideBytes, int count, int n)
    {
        // Each half OR 0x83ff is all ones exactly where its exponent is (an infinity or NaN), so the largest of them says
        // whether any is: one OR (with the load folded in) and one max per vector, as wide as the hardware goes.
        var fill512 = Vector512.Create((ushort)0x83ff);
        var fill = Vector256.Create((ushort)0x83ff);
        var largest512 = Vector512<ushort>.Zero;
        var largest = Vector256<ushort>.Zero;
        for (int t = 0; t < count; t++)
        {
            ushort* k = (ushort*)(keys + t * strideBytes), v = (ushort*)(values + t * strideBytes);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i + 32 <= n; i += 32)
                {
                    largest512 = Vector512.Max(largest512, Vector512.Load(k + i) | fill512);
                    largest512 = Vector512.Max(largest512, Vector512.Load(v + i) | fill512);
                }
            for (; i + 16 <= n; i += 16)
            {
                largest = Vector256.Max(largest, Vector256.Load(k + i) | fill);
                largest = Vector256.Max(largest, Vector256.Load(v + i) | fill);
            }
            if (i < n)
            {
                largest = Vector256.Max(largest, Vector256.Create(Vector128.Load(k + i), Vector128<ushort>.Zero) | fill);
                largest = Vector256.Max(largest, Vector256.Create(Vector128.Load(v + i), Vector128<ushort>.Zero) | fill);
            }
        }
        return Vector256.EqualsAny(largest, Vector256<ushort>.AllBitsSet)
            || (Vector512.IsHardwareAccelerated && Vector512.EqualsAny(largest512, Vector512<ushort>.AllBitsSet));
    }
}
