using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// Keeps each chip's thread on a core of its own (Linux only; elsewhere every call does nothing). A device token is a
/// chain of barriers, and two chip threads the scheduler leaves on one core meet only by context switches: tokens took
/// 3–5 times as long as the probes, run seconds before on two cores, predicted. Pinning is an optimisation, so every
/// failure (no libc, a kernel mask wider than <see cref="CpuMask"/>, a CPU taken away since it was read) leaves the
/// thread where the OS put it, and nothing is logged: a token's pin and restore are on the hot path.
/// </summary>
internal static unsafe partial class CorePinning
{
    /// <summary>
    /// The core for each of <paramref name="chips"/> chips (chip i → the i-th CPU the process may run on), or null when
    /// threads are not pinned: not Linux, the mask cannot be read, or fewer allowed CPUs than chips. In the last case
    /// some chips share a core whatever is pinned; left unpinned, the scheduler can at least move a waiting chip off
    /// the core its peer needs, where a pinned pair would have to take turns on it.
    /// </summary>
    public static int[]? CoresFor(int chips)
    {
        // The process's set is its main thread's (tid = pid), not the calling thread's, which its owner may have narrowed.
        if (chips < 1 || !TryRead(Environment.ProcessId, out var allowed))
            return null;
        var cpus = allowed.Cpus();
        return cpus.Length >= chips ? cpus[..chips] : null;
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false (and the thread unchanged) when it cannot.</summary>
    public static bool PinCurrentThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu < 0 || cpu >= CpuMask.Bits)
            return false;
        var mask = default(CpuMask);
        mask.Add(cpu);
        return TryWrite(mask);
    }

    /// <summary>Pins the calling thread to chip <paramref name="chip"/>'s core of <paramref name="cores"/> (none when null).</summary>
    public static void PinCurrentThread(int[]? cores, int chip)
    {
        if (cores is not null)
            PinCurrentThread(cores[chip]);
    }

    /// <summary>
    /// Keeps the calling thread (a caller that runs chip 0 itself) on <paramref name="cpu"/> until the returned scope is
    /// disposed, which gives the thread back its previous affinity. A caller already on that core is left as it is:
    /// the read, pin and restore are three system calls, slow in this project's guest (the host part of a token,
    /// as `lpu calibrate` reports it, went from 0.7 to 5–6 µs), while asking which core the thread is on costs
    /// nanoseconds. With no core (null), or a mask that cannot be read, it does nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CallerPin PinCaller(int? cpu)
    {
        var pin = default(CallerPin);
        if (cpu is int core && CurrentCpu() != core && TryRead(0, out pin.Previous))
            pin.Pinned = PinCurrentThread(core);
        return pin;
    }

    /// <summary>The CPU the calling thread is on now, or −1 when that cannot be asked.</summary>
    private static int CurrentCpu()
    {
        // Called every token: elsewhere the libc lookup would fail, and throw, each time.
        if (!OperatingSystem.IsLinux())
            return -1;
        try
        {
            return GetCpu();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>The CPUs the calling thread may run on, or null when they cannot be read (not Linux).</summary>
    public static int[]? CurrentThreadCpus() => TryRead(0, out var mask) ? mask.Cpus() : null;

    /// <summary>Thread <paramref name="tid"/>'s affinity (0 is the calling thread), false when it cannot be read.</summary>
    internal static bool TryRead(int tid, out CpuMask mask)
    {
        mask = default;
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            fixed (CpuMask* words = &mask)
                return GetAffinity(tid, (nuint)sizeof(CpuMask), (ulong*)words) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    internal static bool TryWrite(CpuMask mask)
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            return SetAffinity(0, (nuint)sizeof(CpuMask), (ulong*)&mask) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static partial int GetAffinity(int tid, nuint bytes, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int GetCpu();

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SetAffinity(int tid, nuint bytes, ulong* mask);

    /// <summary>A CPU set as the kernel takes it: glibc's <c>cpu_set_t</c>, 1024 bits.</summary>
    [InlineArray(Words)]
    internal struct CpuMask
    {
        public const int Words = 16;
        public const int Bits = Words * 64;
        private ulong _word;

        public void Add(int cpu) => this[cpu >> 6] |= 1UL << (cpu & 63);

        public readonly bool Contains(int cpu) => (this[cpu >> 6] & (1UL << (cpu & 63))) != 0;

        public readonly int[] Cpus()
        {
            var cpus = new List<int>();
            for (int cpu = 0; cpu < Bits; cpu++)
            {
                if (Contains(cpu))
                    cpus.Add(cpu);
            }
            return cpus.ToArray();
        }
    }

    /// <summary>A caller's pin to chip 0's core; disposing it restores the affinity the caller had.</summary>
    internal struct CallerPin : IDisposable
    {
        internal CpuMask Previous;
        internal bool Pinned;

        public readonly void Dispose()
        {
            // If the old mask cannot be written back (its CPUs were taken away meanwhile) the thread stays on chip 0's
            // core, which the process may still use: harmless, and nothing better can be done here.
            if (Pinned)
                TryWrite(Previous);
        }
    }
}
