using System.Diagnostics;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Times a probe as the best of many short windows rather than one long average. Other processes preempting the
/// probe only ever make a window slower, so the fastest window is the closest to what the hardware does, and a
/// loaded machine (other builds, other agents) moves the result far less than it moves an average.
/// </summary>
internal static class ProbeTimer
{
    /// <summary>Runs <paramref name="window"/> (which returns the units it processed) until <paramref name="budget"/> has
    /// passed and at least <paramref name="minimumWindows"/> windows ran; returns the best units per second.</summary>
    public static double BestRate(Func<double> window, TimeSpan budget, int minimumWindows = 8) =>
        BestRate(() =>
        {
            long start = Stopwatch.GetTimestamp();
            double units = window();
            return (units, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }, budget, minimumWindows);

    /// <summary>As above, for a window that times itself (for example from a start it shares with other threads).</summary>
    public static double BestRate(Func<(double Units, double Seconds)> window, TimeSpan budget, int minimumWindows = 8)
    {
        double best = 0;
        var total = Stopwatch.StartNew();
        for (int n = 0; n < minimumWindows || total.Elapsed < budget; n++)
        {
            var (units, seconds) = window();
            if (seconds > 0)
                best = Math.Max(best, units / seconds);
            if (total.Elapsed > 10 * budget)
                break; // a machine this loaded will not give a better window
        }
        return best;
    }
}
