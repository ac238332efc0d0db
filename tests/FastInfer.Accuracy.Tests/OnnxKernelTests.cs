using FastInfer.Accuracy.Onnx;
using FastInfer.Engine.Evaluation;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Accuracy.Tests;

/// <summary>Each kernel family against the same formula as an ONNX graph run by ONNX Runtime: F32 max relative error ≤ 1e-4.</summary>
public sealed class OnnxKernelTests : IDisposable
{
    private const int Tokens = 7, Dim = 64, Heads = 4, KvHeads = 2, HeadDim = Dim / Heads;
    private readonly ComputePool _pool = new(1);

    [Fact]
    public void MatMul()
    {
        const int outputs = 48;
        var weights = new PinnedWeights(GgmlType.F32, PinnedWeights.Random(outputs * Dim, 1), outputs, Dim);
        var x = PinnedWeights.Random(Tokens * Dim, 2);
        var ours = new float[Tokens * outputs];
        Kernels.Ops.MatMul.Multiply(weights.Matrix, x, ours, Tokens, _pool);

        var g = new OnnxGraph();
        g.Output(OnnxLlamaOps.Linear(g, g.Input("x", OnnxGraph.FloatType, Tokens, Dim), OnnxLlamaModel.Floats(weights.Matrix), outputs, Dim));
        AssertClose(Run(g, x), ours, outputs);
        GC.KeepAlive(weights);
    }

    [Fact]
    public void Softmax()
    {
        var x = PinnedWeights.Random(Tokens * Dim, 3, scale: 8);
        var ours = (float[])x.Clone();
        for (int t = 0; t < Tokens; t++)
            VectorOps.Softmax(ours.AsSpan(t * Dim, Dim));

        var g = new OnnxGraph();
        g.Output(g.Node("Softmax", [g.Input("x", OnnxGraph.FloatType, Tokens, Dim)], a => a.Int("axis", -1)));
        AssertClose(Run(g, x), ours, Dim);
    }

    [Fact]
    public void RmsNorm()
    {
        var x = PinnedWeights.Random(Tokens * Dim, 4, scale: 3);
        var weight = PinnedWeights.Random(Dim, 5);
        var ours = new float[Tokens * Dim];
        for (int t = 0; t < Tokens; t++)
            Norms.RmsNorm(x.AsSpan(t * Dim, Dim), weight, 1e-5f, ours.AsSpan(t * Dim, Dim));

        var g = new OnnxGraph();
        g.Output(OnnxLlamaOps.RmsNorm(g, g.Input("x", OnnxGraph.FloatType, Tokens, Dim), weight, 1e-5f));
        AssertClose(Run(g, x), ours, Dim);
    }

    [Fact]
    public void Rope()
    {
        const int first = 100;
        var x = PinnedWeights.Random(Tokens * Dim, 6);
        var ours = (float[])x.Clone();
        var table = new RopeTable(HeadDim, HeadDim, first + Tokens, 10000f, RopeLayout.Interleaved);
        for (int t = 0; t < Tokens; t++)
            table.Apply(ours.AsSpan(t * Dim, Dim), Heads, first + t);

        var g = new OnnxGraph();
        g.Output(OnnxLlamaOps.Rope(g, g.Input("x", OnnxGraph.FloatType, Tokens, Dim), Tokens, Heads, HeadDim, 10000f, first));
        AssertClose(Run(g, x), ours, Dim);
    }

    [Fact]
    public void SiluMul()
    {
        var gate = PinnedWeights.Random(Tokens * Dim, 7, scale: 6);
        var up = PinnedWeights.Random(Tokens * Dim, 8);
        var ours = (float[])gate.Clone();
        Activations.SiluMul(ours, up);

        var g = new OnnxGraph();
        g.Output(OnnxLlamaOps.SiluMul(g, g.Input("gate", OnnxGraph.FloatType, Tokens, Dim), g.Input("up", OnnxGraph.FloatType, Tokens, Dim)));
        var reference = OnnxRunner.Run(g.ToModel(), OnnxRunner.Floats("gate", gate, Tokens, Dim), OnnxRunner.Floats("up", up, Tokens, Dim));
        AssertClose(reference, ours, Dim);
    }

    [Fact]
    public void CausalGroupedQueryAttention()
    {
        const int kvDim = KvHeads * HeadDim;
        var q = PinnedWeights.Random(Tokens * Dim, 9, scale: 2);
        var k = PinnedWeights.Random(Tokens * kvDim, 10, scale: 2);
        var v = PinnedWeights.Random(Tokens * kvDim, 11);
        var ours = new float[Tokens * Dim];
        Attention.Prefill(q, Tokens, 0, k, v, Heads, KvHeads, HeadDim, ours, _pool);

        var g = new OnnxGraph();
        g.Output(OnnxLlamaOps.Attention(g, g.Input("q", OnnxGraph.FloatType, Tokens, Dim), g.Input("k", OnnxGraph.FloatType, Tokens, kvDim),
            g.Input("v", OnnxGraph.FloatType, Tokens, kvDim), Tokens, Heads, KvHeads, HeadDim));
        var reference = OnnxRunner.Run(g.ToModel(), OnnxRunner.Floats("q", q, Tokens, Dim),
            OnnxRunner.Floats("k", k, Tokens, kvDim), OnnxRunner.Floats("v", v, Tokens, kvDim));
        AssertClose(reference, ours, Dim);
    }

    /// <summary>
    /// Our Q4_0 matrix products against ORT's MatMulNBits on the same 4-bit codes and scales. ORT multiplies
    /// F32 activations; ours rounds them to Q8_0 first, so each output may differ by the rounding bound
    /// <see cref="MatMulNBitsQ4.ActivationRoundingBound"/> and no more.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(Tokens)]
    public void Q4_0MatchesMatMulNBits(int tokens)
    {
        const int outputs = 40, inputs = 256;
        var weights = new PinnedWeights(GgmlType.Q4_0, PinnedWeights.Random(outputs * inputs, 12), outputs, inputs);
        var x = PinnedWeights.Random(tokens * inputs, 13);
        var ours = new float[tokens * outputs];
        if (tokens == 1)
            MatVec.Multiply(weights.Matrix, x, ours, _pool);
        else
            Kernels.Ops.MatMul.Multiply(weights.Matrix, x, ours, tokens, _pool);

        var reference = MatMulNBitsQ4.Multiply(weights.Matrix, x, tokens);
        var bound = MatMulNBitsQ4.ActivationRoundingBound(weights.Matrix, x, tokens);
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - reference[i]) <= bound[i], $"output {i}: ours {ours[i]}, ORT {reference[i]}, allowed ±{bound[i]}");

        // Given the activations already rounded to Q8_0, ORT computes what our integer dot products compute.
        var rounded = new float[x.Length];
        var block = new byte[GgmlTypeTraits.RowBytes(GgmlType.Q8_0, inputs)];
        for (int t = 0; t < tokens; t++)
        {
            Kernels.Quantization.Quantizer.Quantize(GgmlType.Q8_0, x.AsSpan(t * inputs, inputs), block);
            Kernels.Quantization.Quantizer.Dequantize(GgmlType.Q8_0, block, rounded.AsSpan(t * inputs, inputs));
        }
        AssertClose(MatMulNBitsQ4.Multiply(weights.Matrix, rounded, tokens), ours, outputs);
        GC.KeepAlive(weights);
    }

    private static float[] Run(OnnxGraph g, float[] x) => OnnxRunner.Run(g.ToModel(), OnnxRunner.Floats("x", x, Tokens, x.Length / Tokens));

    private static void AssertClose(float[] reference, float[] ours, int rowLength)
    {
        var comparison = new LogitComparison();
        comparison.AddRows(reference, ours, rowLength);
        Assert.True(comparison.Result.MaxRelativeError <= 1e-4, $"max relative error {comparison.Result.MaxRelativeError:E2}");
    }

    public void Dispose() => _pool.Dispose();
}
