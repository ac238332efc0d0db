using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Tests;

public class JitWarmupTests
{
    [Fact]
    public void Work_runs_until_no_method_was_compiled_for_the_quiet_period_and_enough_calls()
    {
        int calls = 0;
        long compiled = 5;
        // The count moves for the first 10 calls (tier-0 and tier-1 compiles), then stands still.
        bool quiet = JitWarmup.Run(() => { if (++calls <= 10) compiled++; }, TimeSpan.Zero, TimeSpan.FromMinutes(1), () => compiled);
        Assert.True(quiet);
        Assert.Equal(10 + JitWarmup.MinimumQuietCalls, calls);

        calls = 0;
        Assert.True(JitWarmup.Run(() => { if (++calls <= 3) compiled++; }, TimeSpan.Zero, TimeSpan.FromMinutes(1), () => compiled, minimumCalls: 5));
        Assert.Equal(3 + 5, calls);
    }

    [Fact]
    public void A_JIT_that_never_goes_quiet_stops_at_the_limit()
    {
        int calls = 0;
        long compiled = 0;
        bool quiet = JitWarmup.Run(() => calls++, TimeSpan.Zero, TimeSpan.FromMilliseconds(20), () => compiled++);
        Assert.False(quiet);
        Assert.True(calls > 0);
        Assert.Throws<ArgumentNullException>(() => JitWarmup.Run(null!, TimeSpan.Zero, TimeSpan.Zero));
    }
}
