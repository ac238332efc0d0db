namespace FastInfer.Engine.Evaluation;

/// <summary>Perplexity of a model on a text, defined as llama.cpp's <c>llama-perplexity</c> defines it.</summary>
public static class PerplexityEvaluator
{
    /// <summary>Tokenizes like llama.cpp: the whole text at once, with BOS when the vocabulary adds one.</summary>
    public static int[] Tokenize(LlamaModel model, string text) =>
        model.Tokenizer.Encode(text, model.Tokenizer.AddBosByDefault);

    /// <param name="contextLength">tokens per window (llama.cpp's -c).</param>
    /// <param name="stride">0 for non-overlapping chunks, else llama.cpp's --ppl-stride.</param>
    /// <param name="onChunk">called after each window with the running perplexity.</param>
    public static PerplexityResult Evaluate(LlamaModel model, ReadOnlySpan<int> tokens, int contextLength, int stride = 0,
        Action<PerplexityChunk, double>? onChunk = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (contextLength > model.MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"context {contextLength} exceeds the model's maximum {model.MaxContextLength}");
        int? bos = model.Tokenizer.AddBosByDefault ? model.Tokenizer.BosId : null;
        var chunks = PerplexityPlan.Split(tokens, contextLength, stride, bos);
        var nll = new NegativeLogLikelihood();
        foreach (var chunk in chunks)
        {
            SequenceLogits.Evaluate(model, chunk.Tokens, chunk.FirstScored, (position, logits) =>
            {
                if (position < chunk.Tokens.Length - 1)
                    nll.Add(logits, chunk.Tokens[position + 1]);
            }, cancellationToken);
            onChunk?.Invoke(chunk, nll.Perplexity);
        }
        return new PerplexityResult(nll.Perplexity, nll.PerplexityUncertainty, chunks.Count, nll.Count, tokens.Length);
    }
}

/// <param name="Perplexity">exp(mean NLL) over every scored prediction.</param>
/// <param name="Uncertainty">standard error of the estimate.</param>
/// <param name="Chunks">windows evaluated.</param>
/// <param name="Predictions">next-token predictions scored.</param>
/// <param name="Tokens">tokens in the text.</param>
public sealed record PerplexityResult(double Perplexity, double Uncertainty, int Chunks, int Predictions, int Tokens);
