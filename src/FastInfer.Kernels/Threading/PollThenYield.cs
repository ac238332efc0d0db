using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace FastInfer.Kernels.Threading;

/// <summary>
/// How a thread waits for its peers: it polls without leaving user mode for a few microseconds, then polls with yields
/// (<see cref="SpinWait.SpinOnce(int)"/>). A wait between two ops or at a barrier usually lasts a fraction of an op,
/// so the first phase is where it ends. Yielding almost at once (<see cref="SpinWait"/> alone) cost every op a system
/// call: on this project's machine (a paravirtualized guest) a waiter caught inside <c>sched_yield</c> noticed its
/// peer about 4 µs late (median, load 8), against 0.06–0.12 µs when polling, and a small model's token has dozens of
/// ops. The yields stay for long waits, so a machine with more threads than cores, or other busy processes, still lets
/// the missing peer run.
/// </summary>
public struct PollThenYield
{
    /// <summary>How long a waiter polls before it starts yielding.</summary>
    public static readonly long PollTicks = Math.Max(1, Stopwatch.Frequency * 4 / 1_000_000);

    private long _yieldFrom;
    private SpinWait _yield;

    /// <summary>One poll interval: a short pause at first, a yield once the wait has outlasted <see cref="PollTicks"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Once()
    {
        if (_yieldFrom == 0)
            _yieldFrom = Stopwatch.GetTimestamp() + PollTicks;
        if (Stopwatch.GetTimestamp() < _yieldFrom)
        {
            Thread.SpinWait(1);
            return;
        }
        _yield.SpinOnce(sleep1Threshold: -1);
    }
}
