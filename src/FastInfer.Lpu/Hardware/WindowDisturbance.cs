using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Tells whether a probe window was disturbed by something a device run does not meet. The first probe of a process
/// runs while the runtime's background JIT promotes the methods that loading and compiling the model used. Traced
/// stories15M probes showed windows of several times their usual length, a chip's thread off its core for about half
/// of each and methods compiled during them, over up to half the probe, which halved its rate. A device run meets
/// none of it: `calibrate` times it only after the JIT has gone quiet. Two signs, both cheap and neither a timing
/// threshold on the window itself:
/// <list type="bullet">
/// <item>the process compiled a method during the window (<see cref="JitInfo.GetCompiledMethodCount"/>);</item>
/// <item>a chip's thread was off its core (wall time minus the thread's CPU time, Linux
/// <c>CLOCK_THREAD_CPUTIME_ID</c>) for more than <see cref="OffCoreShare"/> of the window: another thread of this
/// machine ran on its core.</item>
/// </list>
/// A stall of the whole virtual CPU by the host shows in neither (the guest counts it as the thread's time); the
/// median of runs (<see cref="ProbeTimer.MedianRunRate"/>) is what keeps those from deciding the rate.
/// </summary>
internal static unsafe partial class WindowDisturbance
{
    /// <summary>Time off its core, as a share of the window, above which a chip counts as preempted: a kernel thread's
    /// short turn (a few µs) stays below it, another process's time slice does not.</summary>
    public const double OffCoreShare = 0.1;

    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>Whether a window of <paramref name="windowSeconds"/> counts as disturbed, given the longest time a chip's
    /// thread was off its core over it (NaN when unknown) and the methods the process compiled meanwhile.</summary>
    public static bool IsDisturbed(double windowSeconds, double offCoreSeconds, long methodsCompiled)
    {
        if (!(windowSeconds >= 0) || methodsCompiled < 0)
            throw new ArgumentOutOfRangeException(nameof(windowSeconds), $"a window of {windowSeconds} s with {methodsCompiled} methods compiled");
        // NaN (no thread clock) compares false: only the JIT sign is left.
        return methodsCompiled > 0 || offCoreSeconds > OffCoreShare * windowSeconds;
    }

    /// <summary>Methods the process has compiled so far, on any thread.</summary>
    public static long CompiledMethods() => JitInfo.GetCompiledMethodCount(currentThread: false);

    /// <summary>A point in the calling thread's time: wall and CPU.</summary>
    public static ThreadInstant Now() => new(Stopwatch.GetTimestamp(), ThreadCpuSeconds());

    /// <summary>Seconds the calling thread has spent on a CPU, or NaN where that cannot be read.</summary>
    public static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
            return double.NaN;
        try
        {
            TimeSpec time;
            return GetTime(ThreadCpuTimeClock, &time) == 0 ? time.Seconds + time.Nanoseconds * 1e-9 : double.NaN;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return double.NaN;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int GetTime(int clock, TimeSpec* time);
}

/// <summary>The calling thread's wall clock and CPU time at one point (<see cref="WindowDisturbance.Now"/>).</summary>
internal readonly record struct ThreadInstant(long WallTicks, double CpuSeconds)
{
    /// <summary>Seconds since this instant that the calling thread (the one that took it) spent off its core.</summary>
    public double OffCoreSecondsSince() =>
        Stopwatch.GetElapsedTime(WallTicks).TotalSeconds - (WindowDisturbance.ThreadCpuSeconds() - CpuSeconds);
}
