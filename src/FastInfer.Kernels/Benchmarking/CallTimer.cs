using System.Diagnostics;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// Times a call: a warm-up, then batches sized to ~1/10 of the budget until the budget is spent,
/// reporting the fastest batch's mean (other processes on a shared machine only ever slow a batch down).
/// </summary>
public static class CallTimer
{
    /// <summary>The shortest batch whose time counts: 20 µs, many ticks of any clock this runs on.</summary>
    private static readonly long MinimumBatchTicks = Math.Max(1, Stopwatch.Frequency / 50_000);

    public static double SecondsPerCall(Action call, double budgetSeconds)
    {
        call();
        // Grow the batch until one batch spans many timer ticks: a single fast call can measure as zero.
        int batch = 1;
        double once;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++)
                call();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (elapsed >= 20e-6 || batch >= 1 << 24)
            {
                once = Math.Max(elapsed / batch, 1e-12);
                break;
            }
            batch *= 4;
        }
        batch = (int)Math.Clamp(budgetSeconds / 10 / once, batch, 1 << 24);
        double best = double.MaxValue;
        long deadline = Stopwatch.GetTimestamp() + (long)(budgetSeconds * Stopwatch.Frequency);
        int batches = 0;
        do
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++)
                call();
            long ticks = Stopwatch.GetTimestamp() - t0;
            // A calibration slowed by the host (a preempted first batch) can leave batches too short for the clock,
            // which may then read no time at all: such a batch is not counted, and the batches grow.
            if (ticks < MinimumBatchTicks && batch < 1 << 24)
            {
                batch *= 4;
                continue;
            }
            best = Math.Min(best, Math.Max(ticks, 1) / (double)Stopwatch.Frequency / batch);
            batches++;
        }
        while (Stopwatch.GetTimestamp() < deadline || batches < 3);
        return best;
    }

    /// <summary>
    /// Times two calls alternately (a, b, a, b, … for the budget, at least three of each after one warm-up each) and
    /// returns each one's fastest call: when the machine's speed drifts, both see the same conditions, so their ratio
    /// holds even when neither absolute figure does. Meant for calls of a millisecond or more.
    /// </summary>
    public static (double First, double Second) BestOfAlternating(Action first, Action second, double budgetSeconds)
    {
        first();
        second();
        double bestFirst = double.MaxValue, bestSecond = double.MaxValue;
        long deadline = Stopwatch.GetTimestamp() + (long)(budgetSeconds * Stopwatch.Frequency);
        int rounds = 0;
        do
        {
            long t0 = Stopwatch.GetTimestamp();
            first();
            long t1 = Stopwatch.GetTimestamp();
            second();
            long t2 = Stopwatch.GetTimestamp();
            bestFirst = Math.Min(bestFirst, Math.Max(t1 - t0, 1) / (double)Stopwatch.Frequency);
            bestSecond = Math.Min(bestSecond, Math.Max(t2 - t1, 1) / (double)Stopwatch.Frequency);
            rounds++;
        }
        while (Stopwatch.GetTimestamp() < deadline || rounds < 3);
        return (bestFirst, bestSecond);
    }
}
