namespace FastInfer.Lpu.Execution;

/// <summary>
/// The point where a transfer of the schedule completes: every chip of a group writes its part of an activation
/// vector into the shared buffer, then waits here until all have. Sense-reversing, so the same barrier serves every
/// token; waiters spin (yielding now and then, so an oversubscribed machine still progresses).
/// </summary>
internal sealed class SpinBarrier(int participants, ChipFault fault)
{
    private int _remaining = participants;
    private int _phase;

    public int Participants { get; } = participants;

    public void Arrive()
    {
        int phase = Volatile.Read(ref _phase);
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _remaining = Participants;
            Volatile.Write(ref _phase, phase + 1);
            return;
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref _phase) == phase)
        {
            fault.ThrowIfFailed();
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
