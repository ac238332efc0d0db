using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.LlamaCpp;

/// <summary>
/// llama.cpp's perplexity on the same windows FastInfer scores (the plan mirrors llama-perplexity), computed
/// from llama.cpp's own logits, so the two numbers differ only by the engines' arithmetic.
/// </summary>
public static class LlamaCppPerplexity
{
    public static PerplexityResult Evaluate(LlamaCppOracle oracle, ReadOnlySpan<int> tokens, int contextLength, int stride, int? bosId)
    {
        var chunks = PerplexityPlan.Split(tokens, contextLength, stride, bosId);
        var nll = new NegativeLogLikelihood();
        int vocabulary = oracle.VocabularySize;
        foreach (var chunk in chunks)
        {
            var logits = oracle.Logits(chunk.Tokens, chunk.FirstScored);
            nll.AddChunk(chunk, position => logits.AsMemory((position - chunk.FirstScored) * vocabulary, vocabulary));
        }
        return new PerplexityResult(nll.Perplexity, nll.PerplexityUncertainty, chunks.Count, nll.Count, tokens.Length);
    }
}
