using System.Diagnostics;
using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// While a benchmark times the device (<see cref="DeviceBenchmark"/>), tells how long each worker chip's thread was
/// off its core during the last token: from the token's start (as the host gave it out) to the chip's end, minus the
/// CPU time the thread spent on the chip's list. A worker woken late, or preempted by another thread of this machine
/// while it ran or waited at a barrier, shows here; it is the same sign the probes leave windows out by
/// (<see cref="WindowDisturbance"/>). Chip 0 runs on the caller's thread, which times itself. Off by default: a
/// generation pays no clock reads.
/// </summary>
internal sealed class ChipClock(int chips)
{
    private readonly double[] _offCoreSeconds = new double[chips];
    private long _tokenStart;

    /// <summary>The host gives out a token now; called before any worker can see it.</summary>
    public void StartToken() => Volatile.Write(ref _tokenStart, Stopwatch.GetTimestamp());

    /// <summary>The calling worker's CPU seconds as it starts its list (<see cref="ChipFinished"/> takes it back).</summary>
    public static double ChipStarting() => WindowDisturbance.ThreadCpuSeconds();

    /// <summary>Called by chip <paramref name="chip"/>'s own thread when its list is done, before it reports back.</summary>
    public void ChipFinished(int chip, double cpuSecondsAtStart)
    {
        double wall = Stopwatch.GetElapsedTime(Volatile.Read(ref _tokenStart)).TotalSeconds;
        _offCoreSeconds[chip] = wall - (WindowDisturbance.ThreadCpuSeconds() - cpuSecondsAtStart);
    }

    /// <summary>The longest time a worker chip was off its core during the last token (NaN when the thread clock
    /// cannot be read); read by the host after the token, once every worker has reported back.</summary>
    public double WorkersOffCoreSeconds()
    {
        double longest = 0;
        for (int chip = 1; chip < _offCoreSeconds.Length; chip++)
            longest = double.IsNaN(_offCoreSeconds[chip]) ? double.NaN : Math.Max(longest, _offCoreSeconds[chip]);
        return longest;
    }
}
