using System.Diagnostics;
using System.Runtime;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Runs a piece of work until the JIT has finished optimizing it. .NET first runs a method as quickly compiled tier-0
/// code and replaces it with optimized code in the background only after about 30 calls and a 100 ms pause in
/// compilation. For the vector kernels tier-0 code is 20 to 60 times slower (0.15 against 8 GB/s measured here), and
/// on a loaded machine the swap took half a second, so any timing taken before it measures the JIT, not the kernel.
/// The signal used is the process's count of compiled methods: once it has stood still for <c>quiet</c> while the
/// work kept running, every method the work calls has its final code.
/// </summary>
internal static class JitWarmup
{
    /// <summary>Longer than the runtime's 100 ms call-counting delay plus a background compile on a busy machine.</summary>
    public static readonly TimeSpan DefaultQuiet = TimeSpan.FromMilliseconds(300);

    /// <summary>Calls per quiet period, so that call counting (30 calls) of a method the work calls once can complete
    /// inside it.</summary>
    public const int MinimumQuietCalls = 40;

    /// <summary>
    /// Calls <paramref name="work"/> until no method has been compiled for <paramref name="quiet"/> and at least
    /// <paramref name="minimumCalls"/> calls (default <see cref="MinimumQuietCalls"/>), or until <paramref name="limit"/>.
    /// Returns whether the JIT went quiet (false: another thread kept compiling, or the work was too slow for the limit).
    /// </summary>
    public static bool Run(Action work, TimeSpan quiet, TimeSpan limit, Func<long>? compiledMethods = null, int minimumCalls = MinimumQuietCalls)
    {
        ArgumentNullException.ThrowIfNull(work);
        compiledMethods ??= () => JitInfo.GetCompiledMethodCount();
        var total = Stopwatch.StartNew();
        var sinceChange = Stopwatch.StartNew();
        long seen = compiledMethods();
        int calls = 0;
        // At least one call, even when a preempted thread finds the limit past before it starts.
        do
        {
            work();
            calls++;
            long now = compiledMethods();
            if (now != seen)
            {
                seen = now;
                calls = 0;
                sinceChange.Restart();
            }
            else if (calls >= minimumCalls && sinceChange.Elapsed >= quiet)
                return true;
        }
        while (total.Elapsed < limit);
        return false;
    }
}
