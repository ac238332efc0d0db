using FastInfer.Kernels.Threading;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// One thread per chip. The caller runs chip 0 itself; the others wait for a token (polling for a millisecond, then
/// blocking, so an idle device costs no CPU), run their fixed list of operations and report back. A token wakes the
/// blocked workers only if there are any: in a decode loop they are still polling, and the lock and pulse would be
/// per-token work for nothing. A failing chip raises the shared fault, so peers stop at their next barrier; the first
/// failure is rethrown to the caller and the team refuses further tokens, since its barriers are no longer in step.
/// On Linux each chip's thread runs on a core of its own (<see cref="CorePinning"/>): a worker pins itself when it
/// starts; a caller found off chip 0's core at the start of a token is pinned to it for that token only, then given
/// its affinity back.
/// </summary>
internal sealed class ChipTeam : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000;

    private readonly Action<int> _runChip;
    private readonly Thread[] _workers;
    private readonly Exception?[] _failures;
    private readonly object _gate = new();
    private readonly ChipFault _fault;
    private readonly int[]? _cores;
    private int _generation;
    private int _remaining;
    private int _blocked;
    private volatile bool _disposed;

    public ChipTeam(int chips, Action<int> runChip, ChipFault fault)
    {
        _runChip = runChip;
        _fault = fault;
        _cores = CorePinning.CoresFor(chips);
        _failures = new Exception?[chips];
        _workers = new Thread[chips - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int chip = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(chip)) { IsBackground = true, Name = $"fastinfer-lpu-chip-{chip}" };
            _workers[i].Start();
        }
    }

    /// <summary>The core each chip runs on, or null when the chips' threads are left where the OS puts them.</summary>
    public IReadOnlyList<int>? Cores => _cores;

    /// <summary>When set, every worker chip times its part of each token against its thread's CPU clock; set and
    /// cleared only between tokens.</summary>
    public ChipClock? Clock { get; set; }

    /// <summary>Runs every chip's list once and returns when all have finished.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RunToken()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault.Failed)
            throw new InvalidOperationException("the Lpu device stopped after a chip failed; load the model again");
        Volatile.Write(ref _remaining, _workers.Length);
        Clock?.StartToken();
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _blocked) != 0)
        {
            lock (_gate)
                Monitor.PulseAll(_gate);
        }
        using (CorePinning.PinCaller(_cores?[0]))
        {
            Run(0);
            var wait = new PollThenYield();
            while (Volatile.Read(ref _remaining) != 0)
                wait.Once();
        }
        foreach (var failure in _failures)
        {
            if (failure is not null and not OperationCanceledException)
                ExceptionDispatchInfo.Throw(failure);
        }
        _fault.ThrowIfFailed();
    }

    private void Run(int chip)
    {
        try
        {
            _runChip(chip);
        }
        catch (Exception e)
        {
            _failures[chip] = e;
            _fault.Raise();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WorkerLoop(int chip)
    {
        CorePinning.PinCurrentThread(_cores, chip);
        int seen = 0;
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            var wait = new PollThenYield();
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (Stopwatch.GetTimestamp() < deadline)
                {
                    wait.Once();
                    continue;
                }
                lock (_gate)
                {
                    // Counted before the last check, so a token that bumps the generation after it sees the sleeper.
                    Interlocked.Increment(ref _blocked);
                    while (Volatile.Read(ref _generation) == seen && !_disposed)
                        Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _blocked);
                }
            }
            if (_disposed)
                return;
            seen = Volatile.Read(ref _generation);
            var clock = Clock;
            double cpu = clock is null ? 0 : ChipClock.ChipStarting();
            Run(chip);
            clock?.ChipFinished(chip, cpu);
            Interlocked.Decrement(ref _remaining);
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (_gate)
            Monitor.PulseAll(_gate);
        foreach (var worker in _workers)
            worker.Join();
    }
}
