using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Tests.Support;

/// <summary>Rows are split across threads, never the reduction: a kernel must give the same bits on 1, 2 and 3 threads.</summary>
public static class ThreadCounts
{
    /// <param name="run">computes into its output (of <paramref name="outputLength"/> values) on the given pool.</param>
    public static void AssertIdenticalForOneTwoAndThree(int outputLength, Action<ComputePool, float[]> run)
    {
        var one = new float[outputLength];
        run(ComputePool.SingleThreaded, one);
        foreach (int threads in new[] { 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var many = new float[outputLength];
            run(pool, many);
            Assert.Equal(one, many);
        }
    }
}
