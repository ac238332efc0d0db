using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>How attention reads one cached K or V row of a given element type (F32, F16).</summary>
internal unsafe interface IKvRow
{
    /// <summary>Bytes per element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>q · row over <paramref name="n"/> elements.</summary>
    static abstract float Dot(float* q, byte* row, int n, IsaPath path);

    /// <summary>dst[0..n) = row[0..n) as floats (a copy for F32).</summary>
    static abstract void Widen(byte* row, float* dst, int n, IsaPath path);

    /// <summary>o += w · row over <paramref name="n"/> elements.</summary>
    static abstract void AddScaled(float* o, byte* row, float w, int n, IsaPath path);
}
