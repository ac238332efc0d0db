using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>A float KV cache row: the plain vector dot and axpy.</summary>
internal readonly unsafe struct F32KvRow : IKvRow
{
    public static int ElementBytes => sizeof(float);

    public static float Dot(float* q, byte* row, int n, IsaPath path)
        => Ops.Dot.F32(new ReadOnlySpan<float>(q, n), new ReadOnlySpan<float>(row, n), path);

    public static void Widen(byte* row, float* dst, int n, IsaPath path)
    {
        var src = (float*)row;
        int i = 0;
        if (path >= IsaPath.Avx512)
            for (; i + 16 <= n; i += 16)
                Vector512.Load(src + i).Store(dst + i);
        if (path >= IsaPath.Avx2)
            for (; i + 8 <= n; i += 8)
                Vector256.Load(src + i).Store(dst + i);
        if (path >= IsaPath.V128)
            for (; i + 4 <= n; i += 4)
                Vector128.Load(src + i).Store(dst + i);
        for (; i < n; i++)
            dst[i] = src[i];
    }

    public static void AddScaled(float* o, byte* row, float w, int n, IsaPath path)
        => VectorOps.AddScaled(new Span<float>(o, n), new ReadOnlySpan<float>(row, n), w, path);

    public static float ShortfallScale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadScaled(byte* row, int element) => Vector512.Load((float*)row + element);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadScaled256(byte* row, int element) => Vector256.Load((float*)row + element);

    public static bool HasUnscalable(byte* keys, byte* values, long strideBytes, int count, int n) => false;
}
