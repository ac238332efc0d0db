namespace FastInfer.Bench.Compare;

/// <summary>
/// One sample of a rate from calls repeated until they fill a minimum time. A pp128 of stories15M takes under
/// 10 ms, the length of the host's hiccups; timed once, one hiccup decides the sample. Summing calls up to a
/// minimum time makes every sample span many of them, while a call that is long on its own is still made once.
/// </summary>
public static class RepeatedCall
{
    /// <summary>
    /// Calls <paramref name="timedCall"/> (which returns the seconds of its timed part) until those seconds add up
    /// to <paramref name="minimumSeconds"/>, at least once and at most <paramref name="maxCalls"/> times, and returns
    /// tokens per second over all of them.
    /// </summary>
    public static double TokensPerSecond(Func<double> timedCall, int tokensPerCall, double minimumSeconds, int maxCalls = 1000)
    {
        ArgumentNullException.ThrowIfNull(timedCall);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerCall);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCalls);
        double seconds = 0;
        int calls = 0;
        do
        {
            double call = timedCall();
            if (!(call > 0) || !double.IsFinite(call))
                throw new InvalidOperationException($"a timed call took {call} s; it must be a positive time");
            seconds += call;
            calls++;
        }
        while (seconds < minimumSeconds && calls < maxCalls);
        return (double)tokensPerCall * calls / seconds;
    }
}
