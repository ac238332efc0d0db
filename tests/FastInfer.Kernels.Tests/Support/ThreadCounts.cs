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

    /// <summary>
    /// A kernel over an F32 and an F16 cache (<paramref name="runF32"/>, <paramref name="runF16"/>) on 1, 2 and 3 threads:
    /// each output close to its double reference (relative 1e-5, absolute 2e-6), and each the same bits on every count.
    /// </summary>
    public static void AssertCloseAndIdentical(int outputLength, double[] expected, double[] halfExpected, string what,
        Action<ComputePool, float[]> runF32, Action<ComputePool, float[]> runF16)
    {
        float[]? single = null, halfSingle = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var output = new float[outputLength];
            var halfOutput = new float[outputLength];
            runF32(pool, output);
            runF16(pool, halfOutput);
            Tolerance.Close(expected, output, relative: 1e-5, absolute: 2e-6, $"{what}, {threads} threads");
            Tolerance.Close(halfExpected, halfOutput, relative: 1e-5, absolute: 2e-6, $"{what} f16, {threads} threads");
            single ??= output;
            halfSingle ??= halfOutput;
            Assert.Equal(single, output);
            Assert.Equal(halfSingle, halfOutput);
        }
    }
}
