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
        AttentionOut = new float[dim];
        Projected = new float[dim];
        ExpertOut = new float[dim];
        Gate = new float[config.FeedForwardLength];
        Up = new float[config.FeedForwardLength];
        Logits = new float[config.VocabularySize];
        RouterLogits = new float[Math.Max(1, config.ExpertCount)];
        SelectedExperts = new int[Math.Max(1, config.ExpertUsedCount)];
        SelectedWeights = new float[Math.Max(1, config.ExpertUsedCount)];
    }

    public float[] Residual { get; }
    public float[] Normed { get; }
    public float[] Query { get; }
    public float[] AttentionOut { get; }
    public float[] Projected { get; }
    public float[] ExpertOut { get; }
    public float[] Gate { get; }
    public float[] Up { get; }
    public float[] Logits { get; }
    public float[] RouterLogits { get; }
    public int[] SelectedExperts { get; }
    public float[] SelectedWeights { get; }
}
