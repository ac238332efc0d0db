using FastInfer.Engine.Sampling;

namespace FastInfer.Engine.Tests.Sampling;

public class SamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.0f, 0.5f, 2.9f];

    [Fact]
    public void GreedyPicksTheLargestLogit()
    {
        var sampler = new Sampler(SamplingSettings.Greedy, Logits.Length);
        Assert.Equal(1, sampler.Sample(Logits, []));
    }

    [Fact]
    public void RepeatPenaltyCanChangeTheGreedyChoice()
    {
        var sampler = new Sampler(SamplingSettings.Greedy with { RepeatPenalty = 1.5f }, Logits.Length);
        // 3.0 / 1.5 = 2.0 falls below 2.9; penalised once even though token 1 appears twice.
        Assert.Equal(4, sampler.Sample(Logits, [1, 1]));
        // A negative logit is multiplied, so it gets less likely, not more.
        var negative = new float[] { -1f, -0.9f };
        Assert.Equal(0, new Sampler(SamplingSettings.Greedy with { RepeatPenalty = 2f }, 2).Sample(negative, [1]));
    }

    [Fact]
    public void SameSeedGivesTheSameDraws()
    {
        var settings = new SamplingSettings { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        int[] Draw() { var s = new Sampler(settings, Logits.Length); return Enumerable.Range(0, 50).Select(_ => s.Sample(Logits, [])).ToArray(); }
        var first = Draw();
        Assert.Equal(first, Draw());
        Assert.True(first.Distinct().Count() > 2, "a hot temperature should visit several tokens");
        var other = new Sampler(settings with { Seed = 43 }, Logits.Length);
        Assert.NotEqual(first, Enumerable.Range(0, 50).Select(_ => other.Sample(Logits, [])).ToArray());
    }

    [Fact]
    public void TopKOfOneIsGreedy()
    {
        var sampler = new Sampler(new SamplingSettings { Temperature = 5, TopK = 1, Seed = 1 }, Logits.Length);
        for (int i = 0; i < 20; i++)
            Assert.Equal(1, sampler.Sample(Logits, []));
    }

    [Fact]
    public void TopKTwoOnlyDrawsTheTwoBest()
    {
        var sampler = new Sampler(new SamplingSettings { Temperature = 10, TopK = 2, TopP = 1, MinP = 0, Seed = 5 }, Logits.Length);
        var seen = Enumerable.Range(0, 200).Select(_ => sampler.Sample(Logits, [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 4 }, seen);
    }

    [Fact]
    public void TopPKeepsTheSmallestNucleus()
    {
        // Probabilities at temperature 1: token 0 ≈ 0.88, token 1 ≈ 0.12, the rest tiny.
        float[] logits = [4f, 2f, -5f, -5f];
        var sampler = new Sampler(new SamplingSettings { Temperature = 1, TopK = 0, TopP = 0.8f, MinP = 0, Seed = 9 }, 4);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(0, sampler.Sample(logits, [])));
        var wider = new Sampler(new SamplingSettings { Temperature = 1, TopK = 0, TopP = 0.95f, MinP = 0, Seed = 9 }, 4);
        Assert.Equal(new HashSet<int> { 0, 1 }, Enumerable.Range(0, 300).Select(_ => wider.Sample(logits, [])).ToHashSet());
    }

    [Fact]
    public void MinPDropsUnlikelyTokens()
    {
        float[] logits = [4f, 2f, 3.9f];
        // p(1)/p(0) = e^-2 ≈ 0.135 < 0.2, so token 1 is dropped; token 2 stays.
        var sampler = new Sampler(new SamplingSettings { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.2f, Seed = 2 }, 3);
        Assert.Equal(new HashSet<int> { 0, 2 }, Enumerable.Range(0, 300).Select(_ => sampler.Sample(logits, [])).ToHashSet());
    }

    [Fact]
    public void DrawFrequenciesFollowTheSoftmax()
    {
        float[] logits = [0f, MathF.Log(3f)]; // probabilities 1/4 and 3/4
        var sampler = new Sampler(new SamplingSettings { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 11 }, 2);
        int ones = Enumerable.Range(0, 20000).Count(_ => sampler.Sample(logits, []) == 1);
        Assert.InRange(ones / 20000.0, 0.73, 0.77);
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0.05f, 1f)]
    [InlineData(0.8f, -1, 0.9f, 0.05f, 1f)]
    [InlineData(0.8f, 40, 0f, 0.05f, 1f)]
    [InlineData(0.8f, 40, 1.1f, 0.05f, 1f)]
    [InlineData(0.8f, 40, 0.9f, 1f, 1f)]
    [InlineData(0.8f, 40, 0.9f, 0.05f, 0f)]
    public void BadSettingsAreRejected(float temperature, int topK, float topP, float minP, float penalty)
    {
        var settings = new SamplingSettings { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, RepeatPenalty = penalty };
        Assert.Throws<ArgumentException>(() => new Sampler(settings, 10));
    }
}
