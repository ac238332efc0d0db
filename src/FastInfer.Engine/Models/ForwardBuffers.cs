namespace FastInfer.Engine.Models;

/// <summary>Scratch activations of one forward step, sized once from the hyperparameters.</summary>
internal sealed class ForwardBuffers
{
    public ForwardBuffers(LlamaConfig config)
    {
        int dim = config.EmbeddingLength;
        Residual = new float[dim];
        Normed = new float[dim];
        Query = new float[config.HeadCount * config.HeadDimension];
        QueryKeyValue = new float[config.EmbeddingLength + 2 * config.KvDimension];
        AttentionOut = new float[dim];
        Projected = new float[dim];
        ExpertOut = new float[dim];
        _feedForwardLength = config.FeedForwardLength;
        GateUp = new float[2 * config.FeedForwardLength];
        Logits = new float[config.VocabularySize];
        RouterLogits = new float[Math.Max(1, config.ExpertCount)];
        SelectedExperts = new int[Math.Max(1, config.ExpertUsedCount)];
        SelectedWeights = new float[Math.Max(1, config.ExpertUsedCount)];
    }

    public float[] Residual { get; }
    public float[] Normed { get; }
    private readonly int _feedForwardLength;

    public float[] Query { get; }
    /// <summary>The output of a fused query-key(-value) matrix: query, key, value rows in turn.</summary>
    public float[] QueryKeyValue { get; }
    public float[] AttentionOut { get; }
    public float[] Projected { get; }
    public float[] ExpertOut { get; }
    /// <summary>Gate then up activations, one after the other, so a fused gate-up matrix writes both in one product.</summary>
    public float[] GateUp { get; }
    public Span<float> Gate => GateUp.AsSpan(0, _feedForwardLength);
    public Span<float> Up => GateUp.AsSpan(_feedForwardLength, _feedForwardLength);
    public float[] Logits { get; }
    public float[] RouterLogits { get; }
    public int[] SelectedExperts { get; }
    public float[] SelectedWeights { get; }
}
