namespace FastInfer.Engine.Models;

/// <summary>Scratch activations of one forward step, sized once from the hyperparameters.</summary>
internal sealed class ForwardBuffers
{
    public ForwardBuffers(LlamaConfig config)
    {
        int dim = config.EmbeddingLength;
        Residual = new float[dim];
        Normed = new float[dim];
        QueryKeyValue = new float[config.HeadCount * config.HeadDimension + 2 * config.KvDimension];
        Key = new float[config.KvDimension];
        Value = new float[config.KvDimension];
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

    /// <summary>The query, key and value projections in turn, as one product over their matrices writes them.</summary>
    public float[] QueryKeyValue { get; }
    /// <summary>This position's key and value on their way into a half-precision cache.</summary>
    public float[] Key { get; }
    public float[] Value { get; }
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
