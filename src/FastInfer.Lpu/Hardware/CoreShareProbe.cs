using System.Diagnostics;
using System.Globalization;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// The fraction of a core a chip's thread gets while other processes compete for the cores. The kernel probes keep
/// their best window, the rate of a core running nothing else; a token that needs a core for t seconds of work takes
/// about t / share of wall time when the scheduler hands the core to others between. One thread per chip (at most
/// one per core) spins for <see cref="Window"/>, and each reads from Linux's <c>/proc/thread-self/schedstat</c> how
/// long it ran and how long it waited, runnable, for a core. The share is the
/// total run time over run plus wait. Where that file is missing the share is 1: a core is assumed to be the
/// device's alone. The load moves, so a share is measured again after <see cref="RecentMeasurements{TKey}.MaxAge"/>.
/// </summary>
internal static class CoreShareProbe
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);
    private const string SchedStat = "/proc/thread-self/schedstat";
    private static readonly RecentMeasurements<int> Shares = new(Measure);

    public static double Share(int chips) => Shares.Get(Math.Clamp(chips, 1, Environment.ProcessorCount));

    private static double Measure(int threads)
    {
        if (!File.Exists(SchedStat))
            return 1;
        var ran = new long[threads];
        var waited = new long[threads];
        void Spin(int chip)
        {
            var (run0, wait0) = Read();
            long until = Stopwatch.GetTimestamp() + (long)(Window.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
                Thread.SpinWait(64);
            var (run1, wait1) = Read();
            ran[chip] = run1 - run0;
            waited[chip] = wait1 - wait0;
        }
        var workers = Enumerable.Range(1, threads - 1).Select(c => new Thread(() => Spin(c)) { IsBackground = true }).ToArray();
        foreach (var worker in workers)
            worker.Start();
        Spin(0);
        foreach (var worker in workers)
            worker.Join();
        double run = ran.Sum(), total = run + waited.Sum();
        return total > 0 ? Math.Clamp(run / total, 0.01, 1) : 1;
    }

    /// <summary>Nanoseconds this thread has run and waited on a run queue (the first two fields of schedstat).</summary>
    internal static (long Run, long Wait) Parse(string schedstat)
    {
        var fields = schedstat.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long run)
            || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long wait))
            throw new FormatException($"unexpected schedstat line '{schedstat.Trim()}': expected run and wait nanoseconds");
        return (run, wait);
    }

    private static (long Run, long Wait) Read() => Parse(File.ReadAllText(SchedStat));
}
