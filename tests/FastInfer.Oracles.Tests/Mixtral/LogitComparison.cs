namespace FastInfer.Oracles.Tests.Mixtral;

/// <summary>
/// How two engines' logits for one position compare: the largest difference over the expected logits' standard
/// deviation (scale-free, so it means the same for a trained model's wide logits and a random model's narrow ones),
/// and the expected top-2 margin in the same units (how close greedy decoding is to a tie).
/// </summary>
internal readonly record struct LogitComparison(double MaxDiffOverStd, double MarginOverStd, int ExpectedArgMax, int ActualArgMax)
{
    public static LogitComparison Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double mean = 0;
        foreach (float v in expected)
            mean += v;
        mean /= expected.Length;
        double variance = 0, maxDiff = 0;
        int best = 0, second = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            variance += (expected[i] - mean) * (expected[i] - mean);
            maxDiff = Math.Max(maxDiff, Math.Abs((double)expected[i] - actual[i]));
            if (expected[i] > expected[best])
            {
                second = best;
                best = i;
            }
            else if (i != best && (second < 0 || expected[i] > expected[second]))
                second = i;
        }
        double std = Math.Sqrt(variance / expected.Length);
        return new LogitComparison(maxDiff / std, (expected[best] - expected[second]) / std, best, ArgMax(actual));
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }
}
