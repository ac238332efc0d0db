namespace FastInfer.Engine.Models;

/// <summary>Activations of a batch of prompt tokens, sized once for the largest batch a session runs.</summary>
internal sealed class PrefillBuffers
{
    public PrefillBuffers(LlamaConfig config, int maxTokens, KvCacheType cacheType = KvCacheType.F32)
    {
        MaxTokens = maxTokens;
        int dim = config.EmbeddingLength, ffn = config.FeedForwardLength;
        Residual = new float[maxTokens * dim];
        Normed = new float[maxTokens * dim];
        Queries = new float[maxTokens * dim];
        AttentionOut = new float[maxTokens * dim];
        Projected = new float[maxTokens * dim];
        Gate = new float[maxTokens * ffn];
        Fused = new float[maxTokens * Math.Max(ffn, dim + 2 * config.KvDimension)];
        if (cacheType == KvCacheType.F16)
        {
            Keys = new float[maxTokens * config.KvDimension];
            Values = new float[maxTokens * config.KvDimension];
        }
        if (config.IsMixtureOfExperts)
        {
            RouterLogits = new float[maxTokens * config.ExpertCount];
            Assignments = new int[maxTokens * config.ExpertUsedCount];
            AssignmentWeights = new float[maxTokens * config.ExpertUsedCount];
            ExpertTokens = new int[maxTokens];
            ExpertWeights = new float[maxTokens];
            ExpertInput = new float[maxTokens * dim];
            ExpertOutput = new float[maxTokens * dim];
        }
    }

    public int MaxTokens { get; }
    public float[] Residual { get; }
    public float[] Normed { get; }
    public float[] Queries { get; }
    /// <summary>The batch's keys and values on their way into a half-precision cache (empty for a single-precision one,
    /// whose rows they are written to directly).</summary>
    public float[] Keys { get; } = [];
    public float[] Values { get; } = [];
    public float[] AttentionOut { get; }
    public float[] Projected { get; }
    public float[] Gate { get; }
    /// <summary>The output of a fused query-key-value matrix (tokens × its rows) before it is split; later the up projection's rows.</summary>
    public float[] Fused { get; }
    public float[] RouterLogits { get; } = [];
    /// <summary>For each token, the experts it is routed to and their renormalised weights.</summary>
    public int[] Assignments { get; } = [];
    public float[] AssignmentWeights { get; } = [];
    /// <summary>The tokens routed to the expert being run, gathered so its weights stream once per batch.</summary>
    public int[] ExpertTokens { get; } = [];
    public float[] ExpertWeights { get; } = [];
    public float[] ExpertInput { get; } = [];
    public float[] ExpertOutput { get; } = [];
}
