namespace FastInfer.Engine.Evaluation;

/// <summary>
/// Splits a tokenized text into windows exactly as llama.cpp's <c>llama-perplexity</c> does, so both
/// engines score the same predictions.
/// </summary>
/// <remarks>
/// Without a stride: non-overlapping chunks of ctx tokens (the remainder is dropped), the first token of
/// each replaced by BOS when the vocabulary adds one, and the second half scored: positions ctx/2 … ctx−2
/// predict the next token. With a stride s: windows of ctx tokens start every s tokens and the last s
/// predictions of each are scored; llama.cpp's strided mode swaps in BOS only after evaluating, so the
/// window's own first token is what it evaluates, and so do we.
/// </remarks>
public static class PerplexityPlan
{
    public static IReadOnlyList<PerplexityChunk> Split(ReadOnlySpan<int> tokens, int contextLength, int stride, int? bosId)
    {
        if (contextLength < 4)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a perplexity context needs at least 4 tokens, got {contextLength}");
        if (stride < 0 || stride >= contextLength)
            throw new ArgumentOutOfRangeException(nameof(stride), $"stride {stride} must be 0 (non-overlapping chunks) or between 1 and the context {contextLength} minus 1");

        var chunks = new List<PerplexityChunk>();
        if (stride == 0)
        {
            if (tokens.Length < 2 * contextLength)
                throw new ArgumentException($"the text tokenizes to {tokens.Length} tokens; a context of {contextLength} needs at least {2 * contextLength}");
            int count = tokens.Length / contextLength;
            for (int i = 0; i < count; i++)
            {
                var window = tokens.Slice(i * contextLength, contextLength).ToArray();
                if (bosId is { } bos)
                    window[0] = bos;
                chunks.Add(new PerplexityChunk(i, i * contextLength, window, contextLength / 2));
            }
        }
        else
        {
            if (tokens.Length <= contextLength)
                throw new ArgumentException($"the text tokenizes to {tokens.Length} tokens; a context of {contextLength} with a stride needs more");
            int count = (tokens.Length - contextLength + stride - 1) / stride;
            for (int i = 0; i < count; i++)
                chunks.Add(new PerplexityChunk(i, i * stride, tokens.Slice(i * stride, contextLength).ToArray(), contextLength - stride - 1));
        }
        return chunks;
    }
}
