using System.Diagnostics;
using FastInfer.Engine;
using FastInfer.Kernels.Ops;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Execution;

/// <summary>What the simulator predicts for a CPU Lpu run and what the run measured (tokens/s, one per repeat).</summary>
public sealed record DeviceBenchmarkResult(string Model, LpuProgram Program, int Tokens, double PredictedTokensPerSecond, IReadOnlyList<double> MeasuredTokensPerSecond)
{
    public double MedianMeasured => MeasuredTokensPerSecond.Order().ElementAt(MeasuredTokensPerSecond.Count / 2);
    /// <summary>Predicted over measured (1 is a perfect prediction).</summary>
    public double Ratio => PredictedTokensPerSecond / MedianMeasured;
}

/// <summary>
/// Calibration of the <c>this-cpu</c> cost model: compiles a model for the CPU device, asks the simulator for the
/// decode rate at the middle of the measured span, then times greedy decoding on the device.
/// </summary>
public static class DeviceBenchmark
{
    public static DeviceBenchmarkResult Run(string modelPath, int? chips, int tokens, int repeats, string? tokenizerPath = null)
    {
        if (tokens < 2)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"measure at least 2 tokens, got {tokens}");
        if (repeats < 1)
            throw new ArgumentOutOfRangeException(nameof(repeats), $"repeat at least once, got {repeats}");
        using var model = LlamaModel.Load(modelPath, new ModelLoadOptions { Threads = 1, TokenizerPath = tokenizerPath, Device = LpuDevice.Factory(chips) });
        var device = (LpuDevice)model.Device!;
        int context = Math.Min(model.MaxContextLength, tokens + 1);
        if (context <= tokens)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"{tokens} tokens do not fit the model's context of {model.MaxContextLength}");
        var program = device.Program;
        double predicted = LpuSimulator.Run(program, Math.Max(1, tokens / 2)).TokensPerSecond;

        Decode(device, context, Math.Min(tokens, 8)); // warm-up: JIT, caches, page faults
        var measured = new List<double>();
        for (int r = 0; r < repeats; r++)
            measured.Add(tokens / Decode(device, context, tokens).TotalSeconds);
        return new DeviceBenchmarkResult(Path.GetFileNameWithoutExtension(modelPath), program, tokens, predicted, measured);
    }

    /// <summary>Greedy decoding of <paramref name="tokens"/> tokens from token 1 at position 0, in a fresh session.</summary>
    private static TimeSpan Decode(LpuDevice device, int context, int tokens)
    {
        var session = device.CreateSession(context);
        int token = 1;
        var clock = Stopwatch.StartNew();
        for (int p = 0; p < tokens; p++)
            token = VectorOps.ArgMax(session.Forward(token, p));
        return clock.Elapsed;
    }
}
