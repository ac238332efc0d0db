namespace FastInfer.Lpu.Execution;

/// <summary>
/// What one chip holds besides its weight tiles: its own copy of the residual stream and the vectors every chip
/// computes for itself (norm output, routing), and, for the session being run, its KV-cache slices. Per-token vectors
/// hold up to <paramref name="maxTokens"/> tokens, the largest prompt pass.
/// </summary>
internal sealed class ChipMemory(int embedding, int queryDimension, int feedForward, int experts, int expertsUsed, int maxTokens)
{
    public float[] Residual { get; } = new float[maxTokens * embedding];
    public float[] Normed { get; } = new float[maxTokens * embedding];
    public float[] Query { get; } = new float[maxTokens * queryDimension];
    /// <summary>A prompt pass's attention output for this chip's heads, before it goes to the shared heads vector.</summary>
    public float[] Attended { get; } = new float[maxTokens > 1 ? maxTokens * queryDimension : 0];
    /// <summary>A prompt pass's rows of a matrix product, before they go to their places in a shared vector.</summary>
    public float[] Scratch { get; } = new float[maxTokens > 1 ? maxTokens * Math.Max(Math.Max(embedding, queryDimension), feedForward) : 0];
    public int Experts { get; } = experts;
    public int ExpertsUsed { get; } = expertsUsed;
    public float[] Probabilities { get; } = new float[Math.Max(1, experts)];
    /// <summary>Per token of the pass, the experts it is routed to and their weights.</summary>
    public int[] Selected { get; } = new int[maxTokens * Math.Max(1, expertsUsed)];
    public float[] SelectedWeights { get; } = new float[maxTokens * Math.Max(1, expertsUsed)];
    /// <summary>A prompt pass's routed (token, expert) pairs, packed expert by expert: expert e's are
    /// [ExpertOffset[e], ExpertOffset[e + 1]).</summary>
    public int[] ExpertOffset { get; } = new int[experts + 1];
    public int[] RoutedTokens { get; } = new int[experts > 0 && maxTokens > 1 ? maxTokens * expertsUsed : 0];
    public float[] RoutedWeights { get; } = new float[experts > 0 && maxTokens > 1 ? maxTokens * expertsUsed : 0];
    /// <summary>The inputs of the tokens routed to one expert, gathered for its batch.</summary>
    public float[] ExpertInput { get; } = new float[experts > 0 && maxTokens > 1 ? maxTokens * embedding : 0];
    public float[] Combined { get; } = new float[experts > 0 ? maxTokens * embedding : 0];

    /// <summary>The running session's cache of this chip: per layer the keys and values of its KV heads (null where it holds none).</summary>
    public ChipKvCache? Cache { get; set; }
}

/// <summary>Per layer, the keys and values of the KV heads one chip holds, one row of those heads per position.</summary>
internal sealed class ChipKvCache(float[]?[] keys, float[]?[] values)
{
    public float[]?[] Keys { get; } = keys;
    public float[]?[] Values { get; } = values;
}

/// <summary>The tokens and first position of the pass being run, written by the host before the chips start.</summary>
internal sealed class TokenInput(int maxTokens)
{
    public int[] Tokens { get; } = new int[maxTokens];
    /// <summary>Tokens in this pass: 1 for a decode step.</summary>
    public int Count;
    public int Position;
    /// <summary>A prompt pass runs the Engine's prefill kernels (even for one token), a decode step its forward kernels.</summary>
    public bool Prompt;
    /// <summary>Where the head writes the pass's logits: the running session's own vector.</summary>
    public float[] Logits = [];
}

/// <summary>
/// The activation vectors chips exchange, token-major for up to <paramref name="maxTokens"/> tokens. A chip writes
/// only its own rows of a vector and reads the whole vector only after the barrier that ends the transfer, so no two
/// chips ever write the same element.
/// </summary>
internal sealed class ChipLinks(int embedding, int queryDimension, int feedForward, int experts, int expertsUsed, int stageBoundaries, int maxTokens)
{
    public float[] Embedding { get; } = new float[maxTokens * embedding];
    public float[] Heads { get; } = new float[maxTokens * queryDimension];
    public float[] Rows { get; } = new float[maxTokens * embedding];
    public float[] Gate { get; } = new float[maxTokens * feedForward];
    public float[] Up { get; } = new float[maxTokens * feedForward];
    public float[] RouterLogits { get; } = new float[maxTokens * experts];
    /// <summary>Expert vectors: a decode token's in its k slots, a prompt pass's packed expert by expert (see
    /// <see cref="ChipMemory.ExpertOffset"/>).</summary>
    public float[] ExpertGate { get; } = new float[experts > 0 ? (long)maxTokens * expertsUsed * feedForward : 0];
    public float[] ExpertUp { get; } = new float[experts > 0 ? (long)maxTokens * expertsUsed * feedForward : 0];
    public float[] ExpertRows { get; } = new float[experts > 0 ? (long)maxTokens * expertsUsed * embedding : 0];
    /// <summary>The residual stream handed from stage s to stage s + 1.</summary>
    public float[][] Handoff { get; } = Enumerable.Range(0, stageBoundaries).Select(_ => new float[maxTokens * embedding]).ToArray();
}
