using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Accuracy.Onnx;

/// <summary>
/// A whole Llama/Mixtral forward pass as one ONNX graph, with the model's weights (dequantized to F32) as
/// initializers: token ids in, logits at every position out. Built for a fixed sequence length.
/// </summary>
public static class OnnxLlamaModel
{
    public const string TokensInput = "tokens";

    public static byte[] Build(LlamaWeights weights, int tokens)
    {
        var config = weights.Config;
        if (config.RopeLayout != RopeLayout.Interleaved || config.RotaryDimensions != config.HeadDimension)
            throw new NotSupportedException("the ONNX oracle graph implements RoPE over whole heads on adjacent pairs only");
        if (config.SlidingWindow > 0)
            throw new NotSupportedException("the ONNX oracle graph has no sliding-window mask");
        int dim = config.EmbeddingLength, kvDim = config.KvDimension;
        var g = new OnnxGraph();
        string ids = g.Input(TokensInput, OnnxGraph.Int64Type, tokens);
        string x = g.Node("Gather", [g.Constant(Floats(weights.TokenEmbedding), config.VocabularySize, dim), ids], a => a.Int("axis", 0));
        foreach (var layer in weights.Layers)
        {
            var normed = OnnxLlamaOps.RmsNorm(g, x, layer.AttentionNorm.AsF32Span(), config.RmsEpsilon);
            var q = OnnxLlamaOps.Rope(g, OnnxLlamaOps.Linear(g, normed, Floats(layer.Query), dim, dim), tokens, config.HeadCount, config.HeadDimension, config.RopeTheta);
            var k = OnnxLlamaOps.Rope(g, OnnxLlamaOps.Linear(g, normed, Floats(layer.Key), kvDim, dim), tokens, config.KvHeadCount, config.HeadDimension, config.RopeTheta);
            var v = OnnxLlamaOps.Linear(g, normed, Floats(layer.Value), kvDim, dim);
            var attention = OnnxLlamaOps.Attention(g, q, k, v, tokens, config.HeadCount, config.KvHeadCount, config.HeadDimension);
            x = g.Node("Add", [x, OnnxLlamaOps.Linear(g, attention, Floats(layer.AttentionOutput), dim, dim)]);

            normed = OnnxLlamaOps.RmsNorm(g, x, layer.FeedForwardNorm.AsF32Span(), config.RmsEpsilon);
            var ffn = layer.Experts is { } moe
                ? OnnxLlamaOps.MixtureOfExperts(g, normed, Floats(moe.Router), moe.Experts.Select(Dense).ToArray(), moe.ExpertsPerToken, tokens)
                : OnnxLlamaOps.FeedForward(g, normed, Dense(layer.Dense!));
            x = g.Node("Add", [x, ffn]);
        }
        var final = OnnxLlamaOps.RmsNorm(g, x, weights.OutputNorm.AsF32Span(), config.RmsEpsilon);
        g.Output(OnnxLlamaOps.Linear(g, final, Floats(weights.Output), config.VocabularySize, dim));
        return g.ToModel();
    }

    /// <summary>Logits [tokens × vocabulary] from ONNX Runtime.</summary>
    public static float[] Run(byte[] model, ReadOnlySpan<int> tokens)
    {
        var ids = new long[tokens.Length];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = tokens[i];
        return OnnxRunner.Run(model, OnnxRunner.Longs(TokensInput, ids, ids.Length));
    }

    private static DenseWeights Dense(DenseFeedForward ffn) =>
        new(Floats(ffn.Gate), Floats(ffn.Up), Floats(ffn.Down), ffn.Gate.Columns, ffn.Gate.Rows);

    /// <summary>A weight matrix dequantized row by row, so quantized files are compared on the same values.</summary>
    public static float[] Floats(WeightMatrix w)
    {
        var values = new float[(long)w.Rows * w.Columns];
        for (int r = 0; r < w.Rows; r++)
            Quantizer.Dequantize(w.Type, w.RowSpan(r), values.AsSpan(r * w.Columns, w.Columns));
        return values;
    }
}
