using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>A float KV cache row: the plain vector dot and axpy.</summary>
internal readonly unsafe struct F32KvRow : IKvRow
{
    public static int ElementBytes => sizeof(float);

    public static float Dot(float* q, byte* row, int n, IsaPath path)
        => Ops.Dot.F32(new ReadOnlySpan<float>(q, n), new ReadOnlySpan<float>(row, n), path);

    public static void AddScaled(float* o, byte* row, float w, int n, IsaPath path)
        => VectorOps.AddScaled(new Span<float>(o, n), new ReadOnlySpan<float>(row, n), w, path);
}
