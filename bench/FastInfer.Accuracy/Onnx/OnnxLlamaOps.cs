namespace FastInfer.Accuracy.Onnx;

/// <summary>
/// The Llama kernel families written with standard ONNX operators, each the plain textbook formula, so ONNX
/// Runtime computes them with its own kernels: the independent half of every comparison.
/// Activations are [tokens, features] row-major, like FastInfer's prefill buffers.
/// </summary>
public static class OnnxLlamaOps
{
    /// <summary>x / sqrt(mean(x²) + ε) · weight, over the last axis.</summary>
    public static string RmsNorm(OnnxGraph g, string x, ReadOnlySpan<float> weight, float epsilon)
    {
        var meanSquare = g.Node("ReduceMean", [g.Node("Mul", [x, x])], a => a.Ints("axes", -1).Int("keepdims", 1));
        var root = g.Node("Sqrt", [g.Node("Add", [meanSquare, g.Scalar(epsilon)])]);
        return g.Node("Mul", [g.Node("Div", [x, root]), g.Constant(weight, weight.Length)]);
    }

    /// <summary>x · Wᵀ for a weight stored as FastInfer stores it: <paramref name="rows"/> output rows of <paramref name="columns"/> inputs.</summary>
    public static string Linear(OnnxGraph g, string x, ReadOnlySpan<float> weight, int rows, int columns)
    {
        var transposed = new float[weight.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                transposed[c * rows + r] = weight[r * columns + c];
        return g.Node("MatMul", [x, g.Constant(transposed, columns, rows)]);
    }

    /// <summary>
    /// RoPE on adjacent pairs (llama.cpp's GGUF Llama layout): (x₀, x₁) → (x₀cos − x₁sin, x₀sin + x₁cos), angle
    /// position · θ^(−2i/d), the pairs picked out with Gather and put back with Concat.
    /// </summary>
    public static string Rope(OnnxGraph g, string x, int tokens, int heads, int headDim, float theta, int firstPosition = 0)
    {
        int pairs = headDim / 2;
        var cos = new float[tokens * pairs];
        var sin = new float[tokens * pairs];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < pairs; i++)
            {
                double angle = (firstPosition + t) / Math.Pow(theta, 2.0 * i / headDim);
                cos[t * pairs + i] = (float)Math.Cos(angle);
                sin[t * pairs + i] = (float)Math.Sin(angle);
            }
        string c = g.Constant(cos, tokens, 1, pairs), s = g.Constant(sin, tokens, 1, pairs);
        var paired = g.Node("Reshape", [x, g.Ints(tokens, heads, pairs, 2)]);
        var even = g.Node("Gather", [paired, g.Constant([0L])], a => a.Int("axis", 3));
        var odd = g.Node("Gather", [paired, g.Constant([1L])], a => a.Int("axis", 3));
        // Gather with a scalar index drops the axis: even and odd are [tokens, heads, pairs].
        var first = g.Node("Sub", [g.Node("Mul", [even, c]), g.Node("Mul", [odd, s])]);
        var second = g.Node("Add", [g.Node("Mul", [even, s]), g.Node("Mul", [odd, c])]);
        var axis = g.Ints(3);
        var rotated = g.Node("Concat", [g.Node("Unsqueeze", [first, axis]), g.Node("Unsqueeze", [second, axis])], a => a.Int("axis", 3));
        return g.Node("Reshape", [rotated, g.Ints(tokens, heads * headDim)]);
    }

    /// <summary>
    /// Causal grouped-query attention: softmax(q·kᵀ/√d + mask)·v per head, query head h reading KV head
    /// h / (heads / kvHeads); the mask is −∞ above the diagonal.
    /// </summary>
    public static string Attention(OnnxGraph g, string q, string k, string v, int tokens, int heads, int kvHeads, int headDim)
    {
        string Heads(string x, int count) =>
            g.Node("Transpose", [g.Node("Reshape", [x, g.Ints(tokens, count, headDim)])], a => a.Ints("perm", 1, 0, 2));
        string Shared(string x)
        {
            var perKv = g.Node("Unsqueeze", [Heads(x, kvHeads), g.Ints(1)]);
            var repeated = g.Node("Expand", [perKv, g.Ints(kvHeads, heads / kvHeads, tokens, headDim)]);
            return g.Node("Reshape", [repeated, g.Ints(heads, tokens, headDim)]);
        }
        var mask = new float[tokens * tokens];
        for (int i = 0; i < tokens; i++)
            for (int j = i + 1; j < tokens; j++)
                mask[i * tokens + j] = float.NegativeInfinity;

        var keysT = g.Node("Transpose", [Shared(k)], a => a.Ints("perm", 0, 2, 1));
        var scores = g.Node("Mul", [g.Node("MatMul", [Heads(q, heads), keysT]), g.Scalar(1f / MathF.Sqrt(headDim))]);
        var weights = g.Node("Softmax", [g.Node("Add", [scores, g.Constant(mask, tokens, tokens)])], a => a.Int("axis", -1));
        var mixed = g.Node("MatMul", [weights, Shared(v)]);
        return g.Node("Reshape", [g.Node("Transpose", [mixed], a => a.Ints("perm", 1, 0, 2)), g.Ints(tokens, heads * headDim)]);
    }

    /// <summary>silu(gate) ⊙ up with silu(x) = x·sigmoid(x).</summary>
    public static string SiluMul(OnnxGraph g, string gate, string up) =>
        g.Node("Mul", [g.Node("Mul", [gate, g.Node("Sigmoid", [gate])]), up]);

    /// <summary>SwiGLU feed-forward: down(silu(gate·x) ⊙ up·x).</summary>
    public static string FeedForward(OnnxGraph g, string x, DenseWeights w) =>
        Linear(g, SiluMul(g, Linear(g, x, w.Gate, w.Hidden, w.Dim), Linear(g, x, w.Up, w.Hidden, w.Dim)), w.Down, w.Dim, w.Hidden);

    /// <summary>
    /// Mixtral's sparse MoE as dense math: softmax over the router, TopK, the kept weights renormalised and
    /// scattered into a [tokens, experts] gate that is zero for unselected experts; every expert runs and is
    /// scaled by its gate column, so unselected experts add exactly zero.
    /// </summary>
    public static string MixtureOfExperts(OnnxGraph g, string x, float[] router, DenseWeights[] experts, int expertsPerToken, int tokens)
    {
        int dim = experts[0].Dim, count = experts.Length;
        var probabilities = g.Node("Softmax", [Linear(g, x, router, count, dim)], a => a.Int("axis", -1));
        var top = g.NodeOutputs("TopK", [probabilities, g.Ints(expertsPerToken)], 2, a => a.Int("axis", -1));
        var kept = g.Node("Div", [top[0], g.Node("ReduceSum", [top[0], g.Ints(-1)], a => a.Int("keepdims", 1))]);
        var gate = g.Node("ScatterElements", [g.Constant(new float[tokens * count], tokens, count), top[1], kept], a => a.Int("axis", 1));
        string? sum = null;
        for (int e = 0; e < count; e++)
        {
            var column = g.Node("Slice", [gate, g.Ints(e), g.Ints(e + 1), g.Ints(1)]);
            var scaled = g.Node("Mul", [FeedForward(g, x, experts[e]), column]);
            sum = sum is null ? scaled : g.Node("Add", [sum, scaled]);
        }
        return sum!;
    }
}

/// <summary>One SwiGLU block's matrices as floats, each stored output-row-major.</summary>
public sealed record DenseWeights(float[] Gate, float[] Up, float[] Down, int Dim, int Hidden);
