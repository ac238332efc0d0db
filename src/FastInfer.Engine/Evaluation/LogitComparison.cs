namespace FastInfer.Engine.Evaluation;

/// <summary>
/// Compares a candidate engine's logits with a reference engine's, one position at a time, and keeps
/// the worst errors and the averages over every position added so far.
/// </summary>
public sealed class LogitComparison
{
    private double _maxAbsolute;
    private double _maxRelative;
    private double _maxElementwiseRelative;
    private double _klSum;
    private double _maxKl;
    private int _top1Agreements;

    /// <summary>Positions compared so far.</summary>
    public int Positions { get; private set; }

    /// <summary>
    /// Adds one position. Relative error there is max|a−b| / max|b| (b the reference), which stays meaningful
    /// when single logits are near zero; the elementwise max of |a−b|/|b| is kept too, over logits with b ≠ 0.
    /// </summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        if (reference.Length != candidate.Length)
            throw new ArgumentException($"{reference.Length} reference logits but {candidate.Length} candidate logits");
        if (reference.IsEmpty)
            throw new ArgumentException("no logits to compare", nameof(reference));
        double maxDifference = 0, maxReference = 0, elementwise = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double difference = Math.Abs((double)candidate[i] - reference[i]);
            if (double.IsNaN(difference))
                throw new ArgumentException($"logit {i} is not a number (reference {reference[i]}, candidate {candidate[i]})");
            maxDifference = Math.Max(maxDifference, difference);
            maxReference = Math.Max(maxReference, Math.Abs(reference[i]));
            if (reference[i] != 0)
                elementwise = Math.Max(elementwise, difference / Math.Abs(reference[i]));
        }
        _maxAbsolute = Math.Max(_maxAbsolute, maxDifference);
        double relative = maxReference > 0 ? maxDifference / maxReference : (maxDifference > 0 ? double.PositiveInfinity : 0);
        _maxRelative = Math.Max(_maxRelative, relative);
        _maxElementwiseRelative = Math.Max(_maxElementwiseRelative, elementwise);

        double kl = Distributions.KlDivergence(reference, candidate);
        _klSum += kl;
        _maxKl = Math.Max(_maxKl, kl);
        if (Distributions.ArgMax(reference) == Distributions.ArgMax(candidate))
            _top1Agreements++;
        Positions++;
    }

    /// <summary>Adds <paramref name="positions"/> rows of <paramref name="vocabulary"/> logits each.</summary>
    public void AddRows(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate, int vocabulary)
    {
        if (vocabulary <= 0 || reference.Length % vocabulary != 0 || reference.Length != candidate.Length)
            throw new ArgumentException($"{reference.Length} and {candidate.Length} logits are not equal whole rows of {vocabulary}");
        for (int row = 0; row < reference.Length / vocabulary; row++)
            Add(reference.Slice(row * vocabulary, vocabulary), candidate.Slice(row * vocabulary, vocabulary));
    }

    public LogitComparisonResult Result => Positions == 0
        ? throw new InvalidOperationException("no positions have been compared")
        : new LogitComparisonResult(Positions, _maxAbsolute, _maxRelative, _maxElementwiseRelative,
            (double)_top1Agreements / Positions, _klSum / Positions, _maxKl);
}

/// <summary>Worst and mean differences between two engines' logits over some positions.</summary>
/// <param name="MaxAbsoluteError">max |a − b| over every logit.</param>
/// <param name="MaxRelativeError">max over positions of max|a − b| / max|b|.</param>
/// <param name="MaxElementwiseRelativeError">max of |a − b| / |b| over logits with b ≠ 0 (large where b is near zero).</param>
/// <param name="Top1Agreement">fraction of positions where both engines' most likely token is the same.</param>
/// <param name="MeanKlDivergence">mean KL(reference ‖ candidate) in nats.</param>
/// <param name="MaxKlDivergence">largest KL at one position.</param>
public sealed record LogitComparisonResult(int Positions, double MaxAbsoluteError, double MaxRelativeError,
    double MaxElementwiseRelativeError, double Top1Agreement, double MeanKlDivergence, double MaxKlDivergence);
