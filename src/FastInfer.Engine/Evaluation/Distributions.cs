namespace FastInfer.Engine.Evaluation;

/// <summary>
/// Next-token distributions from logits, in double so that comparing two engines measures the engines,
/// not the rounding of the comparison.
/// </summary>
public static class Distributions
{
    /// <summary>log softmax(<paramref name="logits"/>) into <paramref name="logProbabilities"/>.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> logits, Span<double> logProbabilities)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("a distribution needs at least one logit", nameof(logits));
        if (logProbabilities.Length != logits.Length)
            throw new ArgumentException($"{logits.Length} logits but room for {logProbabilities.Length} log-probabilities");
        double logSum = LogSumExp(logits);
        for (int i = 0; i < logits.Length; i++)
            logProbabilities[i] = logits[i] - logSum;
    }

    /// <summary>−log p(<paramref name="target"/>) under softmax(<paramref name="logits"/>), in nats.</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        if ((uint)target >= (uint)logits.Length)
            throw new ArgumentOutOfRangeException(nameof(target), $"token {target} is outside the {logits.Length} logits");
        return LogSumExp(logits) - logits[target];
    }

    /// <summary>log Σ exp(logit), shifted by the largest logit so nothing overflows.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float logit in logits)
            max = Math.Max(max, logit);
        double sum = 0;
        foreach (float logit in logits)
            sum += Math.Exp(logit - max);
        return max + Math.Log(sum);
    }

    /// <summary>
    /// KL(reference ‖ candidate) = Σ p_ref (log p_ref − log p_cand) in nats: how much worse the candidate
    /// predicts tokens drawn from the reference.
    /// </summary>
    public static double KlDivergence(ReadOnlySpan<float> referenceLogits, ReadOnlySpan<float> candidateLogits)
    {
        if (referenceLogits.Length != candidateLogits.Length)
            throw new ArgumentException($"{referenceLogits.Length} reference logits but {candidateLogits.Length} candidate logits");
        var reference = new double[referenceLogits.Length];
        var candidate = new double[candidateLogits.Length];
        LogSoftmax(referenceLogits, reference);
        LogSoftmax(candidateLogits, candidate);
        double kl = 0;
        for (int i = 0; i < reference.Length; i++)
            kl += Math.Exp(reference[i]) * (reference[i] - candidate[i]);
        // Rounding can leave a tiny negative sum for identical distributions; KL is never below zero.
        return Math.Max(0, kl);
    }

    /// <summary>Index of the largest logit; the lowest index wins a tie, as greedy sampling does.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("no logits", nameof(logits));
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }
}
