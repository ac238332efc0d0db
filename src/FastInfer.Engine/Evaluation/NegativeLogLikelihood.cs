namespace FastInfer.Engine.Evaluation;

/// <summary>Running sum of −log p(next token) over scored predictions: perplexity and its uncertainty.</summary>
public sealed class NegativeLogLikelihood
{
    private double _sum;
    private double _sumOfSquares;

    public int Count { get; private set; }

    public void Add(ReadOnlySpan<float> logits, int target)
    {
        double nll = Distributions.NegativeLogLikelihood(logits, target);
        _sum += nll;
        _sumOfSquares += nll * nll;
        Count++;
    }

    /// <summary>Adds every scored prediction of <paramref name="chunk"/>; <paramref name="logitsAt"/> gives a position's logits.</summary>
    public void AddChunk(PerplexityChunk chunk, Func<int, ReadOnlyMemory<float>> logitsAt)
    {
        for (int j = chunk.FirstScored; j < chunk.Tokens.Length - 1; j++)
            Add(logitsAt(j).Span, chunk.Tokens[j + 1]);
    }

    public double Mean => Count == 0 ? throw new InvalidOperationException("no predictions scored") : _sum / Count;

    /// <summary>exp(mean NLL).</summary>
    public double Perplexity => Math.Exp(Mean);

    /// <summary>Standard error of the perplexity estimate, as llama.cpp prints after "+/-" (0 with fewer than two predictions).</summary>
    public double PerplexityUncertainty
    {
        get
        {
            double mean = Mean;
            double variance = _sumOfSquares / Count - mean * mean;
            return Count < 2 || variance <= 0 ? 0 : Math.Sqrt(variance / (Count - 1)) * Math.Exp(mean);
        }
    }
}
