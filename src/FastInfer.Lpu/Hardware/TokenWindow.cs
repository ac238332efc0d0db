using System.Diagnostics;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// One chip's share of a token: a matrix of its own per call, multiplied in order, each step ended at the barrier
/// the chips share (none for one chip). As on the device, a step's calls read the activations every chip wrote in
/// the step before (so their lines come from the peers' caches) and the step's last call writes this chip's rows of
/// the next ones; the two vectors alternate, so that no chip writes what another is still reading.
/// </summary>
internal sealed class TokenWindow : IDisposable
{
    private readonly SyntheticMatrix[][] _steps;
    private readonly Execution.SpinBarrier? _barrier;
    private readonly float[][] _activations;
    private readonly int _chip;
    private readonly float[] _y;
    private readonly long[] _arrived, _left;

    public TokenWindow(GgmlType type, MatrixCall[][] steps, Execution.SpinBarrier? barrier, float[][] activations, int chip)
    {
        _barrier = barrier;
        _activations = activations;
        _chip = chip;
        _steps = steps.Select(step => step.Select(call => new SyntheticMatrix(type, call.Rows, call.Columns)).ToArray()).ToArray();
        Bytes = _steps.Sum(step => step.Sum(m => m.Bytes));
        _y = new float[steps.Max(step => step.Max(c => c.Rows))];
        _arrived = new long[steps.Length];
        _left = new long[steps.Length];
    }

    public int Steps => _steps.Length;

    /// <summary>Ticks from the last chip's arrival until every chip had left, summed over the steps of the chips'
    /// last window (which every chip has finished).</summary>
    public static long ReleaseTicks(TokenWindow[] chips)
    {
        long total = 0;
        for (int s = 0; s < chips[0]._steps.Length; s++)
        {
            long arrived = long.MinValue, left = long.MinValue;
            foreach (var chip in chips)
            {
                arrived = Math.Max(arrived, chip._arrived[s]);
                left = Math.Max(left, chip._left[s]);
            }
            total += left - arrived;
        }
        return total;
    }

    /// <summary>The two activation vectors the chips of a token probe share, 1.0 everywhere to begin with.</summary>
    public static float[][] SharedActivations(MatrixCall[][] steps, int chips)
    {
        int length = steps.Max(step => step.Max(c => Math.Max(c.Columns, c.Rows * chips)));
        return [Ones(length), Ones(length)];
    }

    private static float[] Ones(int length)
    {
        var vector = new float[length];
        vector.AsSpan().Fill(1f);
        return vector;
    }

    public long Bytes { get; }

    public long Run()
    {
        for (int s = 0; s < _steps.Length; s++)
        {
            float[] input = _activations[s & 1], output = _activations[~s & 1];
            var step = _steps[s];
            int rows = 0;
            foreach (var matrix in step)
            {
                var w = matrix.Matrix;
                MatVec.Multiply(w, input.AsSpan(0, w.Columns), _y.AsSpan(0, w.Rows), ComputePool.SingleThreaded);
                rows = w.Rows;
            }
            // The products of 0x11 weights are large; scaled to 1 they keep every later step's input finite.
            int start = Math.Min(_chip * rows, output.Length - rows);
            output.AsSpan(start, rows).Fill(1f);
            if (_barrier is null)
                continue;
            _arrived[s] = Stopwatch.GetTimestamp();
            _barrier.Arrive();
            _left[s] = Stopwatch.GetTimestamp();
        }
        return Bytes;
    }

    public void Dispose()
    {
        foreach (var step in _steps)
        {
            foreach (var matrix in step)
                matrix.Dispose();
        }
    }
}
