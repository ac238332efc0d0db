using FastInfer.Kernels.Threading;
using System.Runtime.CompilerServices;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// The point where a transfer of the schedule completes: every chip of a group writes its part of an activation
/// vector into the shared buffer, then waits here until all have. Sense-reversing, so the same barrier serves every
/// token; waiters poll, then yield (<see cref="PollThenYield"/>), so an oversubscribed machine still progresses.
/// </summary>
internal sealed class SpinBarrier(int participants, ChipFault fault)
{
    private int _remaining = participants;
    private int _phase;

    public int Participants { get; } = participants;

    /// <remarks>Optimized from the first call: its cost is measured (<see cref="Hardware.TokenLoopProbe"/>) before
    /// tiered compilation would have replaced tier-0 code.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Arrive()
    {
        int phase = Volatile.Read(ref _phase);
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _remaining = Participants;
            Volatile.Write(ref _phase, phase + 1);
            return;
        }
        var wait = new PollThenYield();
        while (Volatile.Read(ref _phase) == phase)
        {
            fault.ThrowIfFailed();
            wait.Once();
        }
    }
}
