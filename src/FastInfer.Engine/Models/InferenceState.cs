namespace FastInfer.Engine.Models;

/// <summary>Everything one conversation needs besides the weights: its KV cache and scratch buffers.</summary>
public sealed class InferenceState
{
    /// <summary>Prompt tokens processed per batch: enough to keep the matrix-matrix kernels at full speed.</summary>
    public const int PrefillBatch = 256;

    public InferenceState(LlamaConfig config, int contextLength, KvCacheType cacheType = KvCacheType.F32)
    {
        Cache = new KvCache(config, contextLength, cacheType);
        Buffers = new ForwardBuffers(config);
        Prefill = new PrefillBuffers(config, Math.Min(PrefillBatch, contextLength), cacheType);
    }

    public KvCache Cache { get; }
    internal ForwardBuffers Buffers { get; }
    internal PrefillBuffers Prefill { get; }
    public int ContextLength => Cache.ContextLength;
}
