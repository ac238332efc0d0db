using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Tests;

/// <summary>The comparison metrics against values worked out by hand.</summary>
public class MetricsTests
{
    [Fact]
    public void LogSoftmaxAndNegativeLogLikelihood()
    {
        // softmax(0, ln 3) = (1/4, 3/4)
        float[] logits = [0f, MathF.Log(3)];
        var log = new double[2];
        Distributions.LogSoftmax(logits, log);
        Assert.Equal(Math.Log(0.25), log[0], 6);
        Assert.Equal(Math.Log(0.75), log[1], 6);
        Assert.Equal(Math.Log(4), Distributions.NegativeLogLikelihood(logits, 0), 6);
        Assert.Equal(-Math.Log(0.75), Distributions.NegativeLogLikelihood(logits, 1), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.NegativeLogLikelihood(logits, 2));
    }

    [Fact]
    public void KlDivergenceIsReferenceWeighted()
    {
        // p = (1/2, 1/2), q = (1/4, 3/4): KL(p‖q) = ½ln2 + ½ln(2/3) = ½ln(4/3); KL(q‖p) = ¼ln(1/2) + ¾ln(3/2).
        float[] uniform = [0f, 0f], skewed = [0f, MathF.Log(3)];
        Assert.Equal(0.5 * Math.Log(4.0 / 3), Distributions.KlDivergence(uniform, skewed), 6);
        Assert.Equal(0.25 * Math.Log(0.5) + 0.75 * Math.Log(1.5), Distributions.KlDivergence(skewed, uniform), 6);
        Assert.Equal(0, Distributions.KlDivergence(skewed, skewed));
        // Adding a constant to every logit leaves the distribution alone.
        Assert.Equal(0, Distributions.KlDivergence(skewed, [5f, 5f + MathF.Log(3)]), 6);
    }

    [Fact]
    public void ComparisonKeepsWorstErrorsAndAverages()
    {
        var comparison = new LogitComparison();
        comparison.Add([1f, -2f, 4f], [1.1f, -2f, 3.8f]);  // |Δ| = .1, 0, .2; max|ref| = 4
        comparison.Add([0f, 1f, 0.5f], [0f, 0.5f, 2f]);     // argmax differs: 1 vs 2; |Δ| = 0, .5, 1.5; max|ref| = 1
        var result = comparison.Result;
        Assert.Equal(2, result.Positions);
        Assert.Equal(1.5, result.MaxAbsoluteError, 6);
        Assert.Equal(1.5, result.MaxRelativeError, 6);          // max(0.2/4, 1.5/1)
        Assert.Equal(3.0, result.MaxElementwiseRelativeError, 6); // 1.5/0.5
        Assert.Equal(0.5, result.Top1Agreement);
        double kl1 = Distributions.KlDivergence([1f, -2f, 4f], [1.1f, -2f, 3.8f]);
        double kl2 = Distributions.KlDivergence([0f, 1f, 0.5f], [0f, 0.5f, 2f]);
        Assert.Equal((kl1 + kl2) / 2, result.MeanKlDivergence, 12);
        Assert.Equal(Math.Max(kl1, kl2), result.MaxKlDivergence, 12);
    }

    [Fact]
    public void ComparisonRejectsMismatchedOrNanLogits()
    {
        var comparison = new LogitComparison();
        Assert.Throws<ArgumentException>(() => comparison.Add([1f, 2f], [1f]));
        Assert.Throws<ArgumentException>(() => comparison.Add([1f, 2f], [1f, float.NaN]));
        Assert.Throws<InvalidOperationException>(() => comparison.Result);
    }

    [Fact]
    public void GreedyAgreementCountsPrefixAndMatches()
    {
        var agreement = GreedyAgreement.Compare([1, 2, 3, 4, 5], [1, 2, 9, 4, 5, 6]);
        Assert.Equal(5, agreement.Steps);
        Assert.Equal(2, agreement.IdenticalPrefix);
        Assert.Equal(4, agreement.Matching);
        Assert.False(agreement.Identical);
        Assert.True(GreedyAgreement.Compare([7, 8], [7, 8]).Identical);
    }

    [Fact]
    public void UniformPredictionsHavePerplexityOfTheVocabulary()
    {
        var nll = new NegativeLogLikelihood();
        for (int i = 0; i < 10; i++)
            nll.Add([0.5f, 0.5f, 0.5f, 0.5f], i % 4);
        Assert.Equal(4, nll.Perplexity, 9);
        Assert.Equal(0, nll.PerplexityUncertainty);
    }

    [Fact]
    public void PerplexityUncertaintyIsTheStandardErrorOfTheMean()
    {
        // NLLs ln 4 and ln(4/3): mean m = ½ln(16/3), variance v = ¼(ln 3)², uncertainty = sqrt(v / 1) · e^m.
        var nll = new NegativeLogLikelihood();
        nll.Add([0f, MathF.Log(3)], 0);
        nll.Add([0f, MathF.Log(3)], 1);
        double mean = 0.5 * Math.Log(16.0 / 3);
        Assert.Equal(Math.Exp(mean), nll.Perplexity, 6);
        Assert.Equal(0.5 * Math.Log(3) * Math.Exp(mean), nll.PerplexityUncertainty, 5);
    }

    [Fact]
    public void ChunksLikeLlamaCpp()
    {
        int[] tokens = Enumerable.Range(10, 20).ToArray();
        var chunks = PerplexityPlan.Split(tokens, contextLength: 8, stride: 0, bosId: 1);
        Assert.Equal(2, chunks.Count); // 20 / 8, the remainder dropped
        Assert.Equal([1, 11, 12, 13, 14, 15, 16, 17], chunks[0].Tokens);
        Assert.Equal([1, 19, 20, 21, 22, 23, 24, 25], chunks[1].Tokens);
        Assert.Equal(8, chunks[1].Start);
        Assert.Equal(4, chunks[0].FirstScored);
        Assert.Equal(3, chunks[0].ScoredCount); // positions 4, 5, 6 predict tokens 5, 6, 7

        var noBos = PerplexityPlan.Split(tokens, 8, 0, bosId: null);
        Assert.Equal(10, noBos[0].Tokens[0]);

        var strided = PerplexityPlan.Split(tokens, 8, stride: 4, bosId: 1);
        Assert.Equal(3, strided.Count); // (20 − 8 + 3) / 4
        Assert.Equal(18, strided[2].Tokens[0]);
        Assert.Equal(3, strided[0].FirstScored); // the last 4 predictions: positions 3..6
        Assert.Equal(4, strided[0].ScoredCount);

        Assert.Throws<ArgumentException>(() => PerplexityPlan.Split(tokens[..15], 8, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PerplexityPlan.Split(tokens, 8, 8, 1));
    }
}
