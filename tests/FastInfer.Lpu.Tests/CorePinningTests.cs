using FastInfer.Lpu.Execution;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// Each chip's thread on a core of its own (Linux), read back from the kernel with <c>sched_getaffinity</c>; the
/// caller's own affinity given back after every token. Each check runs on a thread of its own, so that a failure
/// cannot leave a test runner's thread pinned.
/// </summary>
public class CorePinningTests
{
    [Fact]
    public void A_cpu_mask_holds_exactly_the_cpus_added_to_it()
    {
        var mask = default(CorePinning.CpuMask);
        mask.Add(0);
        mask.Add(63);
        mask.Add(64);
        mask.Add(CorePinning.CpuMask.Bits - 1);
        Assert.Equal([0, 63, 64, CorePinning.CpuMask.Bits - 1], mask.Cpus());
        Assert.False(mask.Contains(1));
    }

    [Fact]
    public void No_chips_get_no_cores_and_an_impossible_cpu_is_not_pinned()
    {
        Assert.Null(CorePinning.CoresFor(0));
        OnOwnThread(() =>
        {
            var before = CorePinning.CurrentThreadCpus();
            Assert.False(CorePinning.PinCurrentThread(-1));
            Assert.False(CorePinning.PinCurrentThread(CorePinning.CpuMask.Bits));
            Assert.Equal(before, CorePinning.CurrentThreadCpus());
        });
    }

    [SkippableFact]
    public void Each_worker_thread_runs_on_exactly_its_own_core_and_the_caller_gets_its_affinity_back()
    {
        var allowed = RequireCpus(2);
        OnOwnThread(() =>
        {
            var seen = new int[2][];
            using var team = new ChipTeam(2, chip => seen[chip] = CorePinning.CurrentThreadCpus()!, new ChipFault());
            Assert.Equal(allowed[..2], team.Cores);
            for (int token = 0; token < 3; token++)
            {
                team.RunToken();
                // The caller runs chip 0 pinned only when it started the token off chip 0's core (the test above).
                Assert.Equal([allowed[1]], seen[1]);
                Assert.Equal(allowed, CorePinning.CurrentThreadCpus());
            }
        });
    }

    [SkippableFact]
    public void A_caller_off_chip_0s_core_runs_chip_0_there_and_keeps_its_own_affinity()
    {
        var allowed = RequireCpus(2);
        OnOwnThread(() =>
        {
            // A caller kept off chip 0's core by its owner runs chip 0 on chip 0's core, then is given that restriction
            // back, not the process's set.
            Assert.True(CorePinning.PinCurrentThread(allowed[1]));
            var seen = new int[2][];
            using var team = new ChipTeam(2, chip => seen[chip] = CorePinning.CurrentThreadCpus()!, new ChipFault());
            team.RunToken();
            Assert.Equal([allowed[0]], seen[0]);
            Assert.Equal([allowed[1]], seen[1]);
            Assert.Equal([allowed[1]], CorePinning.CurrentThreadCpus()!);
            // A caller that is already on chip 0's core alone keeps running there with no system call.
            Assert.True(CorePinning.PinCurrentThread(allowed[0]));
            team.RunToken();
            Assert.Equal([allowed[0]], seen[0]);
            Assert.Equal([allowed[0]], CorePinning.CurrentThreadCpus()!);
        });
    }

    [SkippableFact]
    public void A_device_session_leaves_the_callers_affinity_as_it_was()
    {
        var allowed = RequireCpus(2);
        OnOwnThread(() =>
        {
            using var model = DeviceTestModels.Load("custom:dim=64,ffn=128,layers=1,heads=4,kv=2,vocab=320,ctx=32", Kernels.GgmlType.F32);
            using var device = LpuDevice.Create(model, chips: 2, stageWidth: 2);
            var session = device.CreateSession(32);
            session.Prefill([1, 5, 9], 0);
            session.Forward(12, 3);
            Assert.Equal(allowed, CorePinning.CurrentThreadCpus());
        });
    }

    [SkippableFact]
    public void More_chips_than_cores_are_not_pinned_and_run_where_the_os_puts_them()
    {
        var allowed = RequireCpus(1);
        int chips = allowed.Length + 1;
        Assert.Null(CorePinning.CoresFor(chips));
        OnOwnThread(() =>
        {
            var seen = new int[chips][];
            using var team = new ChipTeam(chips, chip => seen[chip] = CorePinning.CurrentThreadCpus()!, new ChipFault());
            Assert.Null(team.Cores);
            team.RunToken();
            Assert.All(seen, cpus => Assert.Equal(allowed, cpus));
        });
    }

    private static int[] RequireCpus(int count)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "core pinning is Linux only");
        var allowed = CorePinning.CurrentThreadCpus();
        Skip.If(allowed is null || allowed.Length < count, $"needs {count} CPUs this process may run on");
        return allowed!;
    }

    private static void OnOwnThread(Action check)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                check();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }
}
