namespace FastInfer.Engine.Evaluation;

/// <summary>Receives the next-token logits after one position of a sequence.</summary>
public delegate void PositionLogitsHandler(int position, ReadOnlySpan<float> logits);

/// <summary>
/// Runs a whole token sequence from position 0 in a fresh KV cache and hands out the logits at every
/// position from <c>firstOutput</c> on, which perplexity and oracle comparisons need and generation does not.
/// </summary>
public static class SequenceLogits
{
    /// <summary>
    /// Positions before <paramref name="firstOutput"/> only fill the cache, so they go through the batched
    /// prefill; each later position runs its own forward step and reports its logits.
    /// </summary>
    public static void Evaluate(LlamaModel model, ReadOnlySpan<int> tokens, int firstOutput, PositionLogitsHandler onLogits,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(onLogits);
        if (tokens.IsEmpty)
            throw new ArgumentException("no tokens to evaluate", nameof(tokens));
        if (tokens.Length > model.MaxContextLength)
            throw new ArgumentException($"{tokens.Length} tokens do not fit the model's context of {model.MaxContextLength}", nameof(tokens));
        if (firstOutput < 0 || firstOutput >= tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(firstOutput), $"first output position {firstOutput} is outside the {tokens.Length} tokens");

        var state = model.Transformer.CreateState(tokens.Length);
        if (firstOutput > 0)
            model.RunPrefill(state, tokens[..firstOutput], 0, cancellationToken);
        for (int position = firstOutput; position < tokens.Length; position++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            onLogits(position, model.RunForward(state, tokens[position], position));
        }
    }

    /// <summary>Every position's logits, row after row (tokens × vocabulary).</summary>
    public static float[] EvaluateAll(LlamaModel model, ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        int vocabulary = model.Config.VocabularySize;
        var all = new float[(long)tokens.Length * vocabulary];
        Evaluate(model, tokens, 0, (position, logits) => logits.CopyTo(all.AsSpan(position * vocabulary, vocabulary)), cancellationToken);
        return all;
    }
}
