namespace FastInfer.Engine.Evaluation;

/// <summary>Greedy decoding without a sampler, stop strings or EOS handling: the raw argmax chain two engines can be compared on.</summary>
public static class GreedyTokens
{
    /// <summary>The prompt through the batched prefill, then <paramref name="steps"/> argmax tokens, each fed back in.</summary>
    public static int[] Generate(LlamaModel model, ReadOnlySpan<int> prompt, int steps, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (prompt.IsEmpty)
            throw new ArgumentException("greedy decoding needs at least one prompt token", nameof(prompt));
        if (steps < 0 || prompt.Length + steps > model.MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(steps), $"{prompt.Length} prompt tokens and {steps} steps do not fit the context of {model.MaxContextLength}");
        var state = model.Transformer.CreateState(prompt.Length + steps);
        var logits = model.RunPrefill(state, prompt, 0, cancellationToken);
        var generated = new int[steps];
        for (int step = 0; step < steps; step++)
        {
            generated[step] = Distributions.ArgMax(logits);
            if (step + 1 < steps)
                logits = model.RunForward(state, generated[step], prompt.Length + step);
        }
        return generated;
    }
}
