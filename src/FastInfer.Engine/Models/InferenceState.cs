namespace FastInfer.Engine.Models;

/// <summary>Everything one conversation needs besides the weights: its KV cache and scratch buffers.</summary>
public sealed class InferenceState
{
    public InferenceState(LlamaConfig config, int contextLength)
    {
        Cache = new KvCache(config, contextLength);
        Buffers = new ForwardBuffers(config);
    }

    public KvCache Cache { get; }
    internal ForwardBuffers Buffers { get; }
    public int ContextLength => Cache.ContextLength;
}
