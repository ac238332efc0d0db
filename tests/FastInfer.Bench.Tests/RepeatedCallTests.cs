using FastInfer.Bench.Compare;

namespace FastInfer.Bench.Tests;

public class RepeatedCallTests
{
    [Fact]
    public void Short_calls_repeat_until_the_minimum_time_and_the_rate_covers_all_of_them()
    {
        var times = new Queue<double>([0.010, 0.030, 0.020, 0.040, 0.5]);
        int calls = 0;
        double rate = RepeatedCall.TokensPerSecond(() => { calls++; return times.Dequeue(); }, tokensPerCall: 128, minimumSeconds: 0.1);
        Assert.Equal(4, calls);
        Assert.Equal(4 * 128 / 0.1, rate, 6);
    }

    [Fact]
    public void A_call_longer_than_the_minimum_is_made_once()
    {
        int calls = 0;
        double rate = RepeatedCall.TokensPerSecond(() => { calls++; return 2.0; }, tokensPerCall: 128, minimumSeconds: 0.5);
        Assert.Equal(1, calls);
        Assert.Equal(64, rate, 9);
    }

    [Fact]
    public void A_zero_minimum_still_makes_one_call()
    {
        int calls = 0;
        RepeatedCall.TokensPerSecond(() => { calls++; return 0.001; }, tokensPerCall: 1, minimumSeconds: 0);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void The_call_count_is_capped()
    {
        int calls = 0;
        RepeatedCall.TokensPerSecond(() => { calls++; return 1e-6; }, tokensPerCall: 1, minimumSeconds: 10, maxCalls: 7);
        Assert.Equal(7, calls);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_call_that_reports_no_positive_time_is_an_error(double seconds)
    {
        var e = Assert.Throws<InvalidOperationException>(() => RepeatedCall.TokensPerSecond(() => seconds, 1, 0.5));
        Assert.Contains("positive time", e.Message);
    }
}
