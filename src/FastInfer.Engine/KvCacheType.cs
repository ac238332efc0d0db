namespace FastInfer.Engine;

/// <summary>How a session's KV cache stores each key and value (<see cref="ModelLoadOptions.KvCacheType"/>).</summary>
public enum KvCacheType
{
    /// <summary>Single precision: the keys and values exactly as the forward pass computes them.</summary>
    F32,

    /// <summary>
    /// Half precision: half the memory, and half the bytes decode attention reads per cached position. Each key and
    /// value is rounded to the nearest half when it is stored (as llama.cpp's default F16 cache does); attention then
    /// computes with those values exactly, in single precision.
    /// </summary>
    F16,
}
