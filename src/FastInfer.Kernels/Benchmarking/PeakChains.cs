using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>A compute peak's chains: the operations a run of them does, and the run.</summary>
internal interface IPeakChains
{
    static abstract double Operations(int iterations);

    /// <summary>Runs the chains; the result only keeps the JIT from removing the work.</summary>
    static abstract float Run(int iterations);
}

/// <summary>Times <see cref="IPeakChains"/> on one thread and on every pool thread at once, in giga-operations per second.</summary>
internal static class PeakChains
{
    private const int Iterations = 1 << 20;

    // The runs' results are summed here so the JIT cannot prove them unused and remove the work being timed.
    private static float s_sink;

    public static double OneThread<TPeak>(double secondsPerMeasurement) where TPeak : struct, IPeakChains
        => TPeak.Operations(Iterations) / 1e9 / CallTimer.SecondsPerCall(() => s_sink += TPeak.Run(Iterations), secondsPerMeasurement);

    public static double AllThreads<TPeak>(ComputePool pool, double secondsPerMeasurement) where TPeak : struct, IPeakChains
    {
        var job = new Job<TPeak>();
        return TPeak.Operations(Iterations) * pool.ThreadCount / 1e9
            / CallTimer.SecondsPerCall(() => pool.For(pool.ThreadCount, ref job), secondsPerMeasurement);
    }

    /// <summary>(<see cref="OneThread"/>, <see cref="AllThreads"/>).</summary>
    public static (double OneThread, double AllThreads) Both<TPeak>(ComputePool pool, double secondsPerMeasurement) where TPeak : struct, IPeakChains
        => (OneThread<TPeak>(secondsPerMeasurement), AllThreads<TPeak>(pool, secondsPerMeasurement));

    private struct Job<TPeak> : IRowJob where TPeak : struct, IPeakChains
    {
        public readonly void Execute(int start, int end)
        {
            float sum = 0;
            for (int i = start; i < end; i++)
                sum += TPeak.Run(Iterations);
            s_sink += sum; // a benign race between threads: only the dependency matters
        }
    }
}
