using FastInfer.Kernels.Threading;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastInfer.Lpu.Execution;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// What a CPU device token costs besides its steps, measured with the device's own code: the release of the barrier
/// that ends every transfer of the schedule (<see cref="SpinBarrier"/>, one thread per chip, at most one per core) and
/// the host's call into a chip team (<see cref="ChipTeam"/>). Both are the mean of many rounds, neither the best nor
/// the median: the device pays every crossing, and a token's time is their sum, so a waiter that yielded and came back
/// late (the distribution's long tail) counts by what it cost. Both depend on the load, so they are measured again
/// after <see cref="RecentMeasurements{TKey, TValue}.MaxAge"/>.
/// </summary>
internal static class TokenLoopProbe
{
    private const int BarrierRounds = 2000;
    private const int TokenRounds = 64 * 256;
    /// <summary>The latest chip of a round arrives up to this much after the others, so that waiters are caught both
    /// polling and yielding (<see cref="PollThenYield"/>), as chips whose steps differ are.</summary>
    private const double MaxLateSeconds = 8e-6;
    private static readonly RecentMeasurements<int, double> Barriers = new(MeasureBarrier);
    private static readonly RecentMeasurements<bool, double> HostCall = new(_ => MeasureHostCall());

    /// <summary>Threads a probe for <paramref name="chips"/> chips runs on: one per chip, but no more than the cores
    /// (the OS time-slices extra chips, which no cost model here covers), and at least two, since a barrier needs two.</summary>
    public static int Threads(int chips) => Math.Clamp(chips, 2, Math.Max(2, Environment.ProcessorCount));

    /// <summary>
    /// Mean seconds from the last chip's arrival at a barrier until every waiting chip has left it: the cache-line
    /// trips of the arrival count and the release flag plus the time a waiter takes to notice.
    /// </summary>
    public static double BarrierSeconds(int chips) => Barriers.Get(Threads(chips));

    /// <summary>
    /// Mean seconds the host spends in a token besides the chips' work and their meetings: a token with no work
    /// through a one-chip team (the call, its bookkeeping, no peer to wake). Waking the other chips and learning that
    /// they finished are the schedule's own receives (the head's candidates and the next token), charged
    /// <see cref="BarrierSeconds"/> like every other.
    /// </summary>
    public static double HostCallSeconds => HostCall.Get(true);

    private static double MeasureBarrier(int threads)
    {
        var fault = new ChipFault();
        var align = new SpinBarrier(threads, fault);
        var crossing = new SpinBarrier(threads, fault);
        var late = new long[BarrierRounds];
        var released = new long[BarrierRounds, threads];
        var random = new Random(6);
        var delays = Enumerable.Range(0, BarrierRounds).Select(_ => (long)(random.NextDouble() * MaxLateSeconds * Stopwatch.Frequency)).ToArray();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Chip(int chip)
        {
            for (int r = 0; r < BarrierRounds; r++)
            {
                align.Arrive();
                if (r % threads == chip)
                {
                    long until = Stopwatch.GetTimestamp() + delays[r];
                    while (Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(1);
                    late[r] = Stopwatch.GetTimestamp();
                    crossing.Arrive();
                    released[r, chip] = late[r];
                }
                else
                {
                    crossing.Arrive();
                    released[r, chip] = Stopwatch.GetTimestamp();
                }
            }
        }
        RunOnThreads(threads, Chip);
        var latencies = new double[BarrierRounds];
        for (int r = 0; r < BarrierRounds; r++)
        {
            long last = late[r];
            for (int chip = 0; chip < threads; chip++)
                last = Math.Max(last, released[r, chip]);
            latencies[r] = (last - late[r]) / (double)Stopwatch.Frequency;
        }
        return latencies.Average();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MeasureHostCall()
    {
        using var team = new ChipTeam(1, _ => { }, new ChipFault());
        // A call is shorter than the clock's resolution on some hosts, so each sample times a batch.
        const int Batch = 64;
        var seconds = new double[TokenRounds / Batch];
        for (int r = 0; r < seconds.Length; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Batch; i++)
                team.RunToken();
            seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds / Batch;
        }
        return seconds.Average();
    }

    /// <summary>
    /// Runs <paramref name="chip"/> on this thread (as chip 0) and on <paramref name="threads"/> − 1 others, each on the
    /// core a <see cref="ChipTeam"/> of as many chips gives it, so that the probe meets the device's placement.
    /// </summary>
    private static void RunOnThreads(int threads, Action<int> chip)
    {
        var cores = CorePinning.CoresFor(threads);
        var workers = Enumerable.Range(1, threads - 1).Select(c => new Thread(() =>
        {
            CorePinning.PinCurrentThread(cores, c);
            chip(c);
        }) { IsBackground = true }).ToArray();
        foreach (var worker in workers)
            worker.Start();
        using (CorePinning.PinCaller(cores?[0]))
            chip(0);
        foreach (var worker in workers)
            worker.Join();
    }
}
