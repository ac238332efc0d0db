using FastInfer.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FastInfer.Accuracy.Torch;

/// <summary>
/// Llama / Mistral / Mixtral written with plain TorchSharp tensor ops, as transformers computes them: embedding,
/// RMSNorm, RoPE in the half-split (rotate_half) layout, grouped-query attention under a causal (and, for Mistral,
/// sliding-window) mask, SwiGLU, and for Mixtral a softmax router whose top-k weights are renormalised. The weights
/// come under transformers' names from <see cref="TorchWeights"/> (a safetensors checkpoint, or a GGUF file whose
/// q/k rows are put back into the half-split layout).
/// </summary>
internal sealed class TorchLlama : IDisposable
{
    private readonly LlamaConfig _c;
    private readonly IReadOnlyDictionary<string, Tensor> _w;
    // Constants as 0-d tensors, never as implicit Scalars: TorchSharp 0.107 lets a temporary Scalar be finalized while
    // the native op still reads it ("Unknown scalar type" after many forwards in a busy process).
    private readonly Tensor _epsilon, _scoreScale;

    /// <summary>A model over <paramref name="weights"/> (transformers' names, [out, in] matrices), which it owns from now on.</summary>
    public TorchLlama(LlamaConfig config, IReadOnlyDictionary<string, Tensor> weights)
    {
        if (config.RotaryDimensions != config.HeadDimension)
            throw new NotSupportedException($"RoPE over {config.RotaryDimensions} of {config.HeadDimension} head dimensions is not modelled by the torch reference");
        // LibTorch's spinning worker threads crawl when the 2 cores are shared with FastInfer's pool and other builds;
        // these models are tiny, one thread is fastest.
        torch.set_num_threads(1);
        _c = config;
        _w = weights;
        _epsilon = tensor(config.RmsEpsilon);
        _scoreScale = tensor((float)Math.Sqrt(config.HeadDimension));
    }

    /// <summary>The model of a Hugging Face folder's F32 model.safetensors.</summary>
    public static TorchLlama FromSafetensors(string folder, LlamaConfig config) => new(config, TorchWeights.FromSafetensors(folder));

    /// <summary>The model of an F32 GGUF file, with its own hyperparameters.</summary>
    public static TorchLlama FromGguf(string path)
    {
        var (config, weights) = TorchWeights.FromGguf(path);
        return new TorchLlama(config, weights);
    }

    public LlamaConfig Config => _c;

    /// <summary>Logits [tokens, vocab] for the whole sequence at positions 0..n−1.</summary>
    public float[][] Forward(int[] tokens)
    {
        using var scope = NewDisposeScope();
        int n = tokens.Length, dim = _c.EmbeddingLength, heads = _c.HeadCount, kvHeads = _c.KvHeadCount, hd = _c.HeadDimension;
        var x = W("model.embed_tokens.weight").index_select(0, tensor(tokens.Select(t => (long)t).ToArray()));
        var (cos, sin) = Rotary(n, hd);
        var mask = Mask(n);
        for (int l = 0; l < _c.BlockCount; l++)
        {
            string p = $"model.layers.{l}.";
            var h = RmsNorm(x, W(p + "input_layernorm.weight"));
            var q = Linear(h, p + "self_attn.q_proj.weight").view(n, heads, hd).transpose(0, 1);
            var k = Linear(h, p + "self_attn.k_proj.weight").view(n, kvHeads, hd).transpose(0, 1);
            var v = Linear(h, p + "self_attn.v_proj.weight").view(n, kvHeads, hd).transpose(0, 1);
            q = q * cos + RotateHalf(q) * sin;
            k = k * cos + RotateHalf(k) * sin;
            k = k.repeat_interleave(heads / kvHeads, 0);
            v = v.repeat_interleave(heads / kvHeads, 0);
            var scores = matmul(q, k.transpose(1, 2)) / _scoreScale + mask;
            var attention = matmul(scores.softmax(-1), v).transpose(0, 1).reshape(n, dim);
            x = x + Linear(attention, p + "self_attn.o_proj.weight");
            h = RmsNorm(x, W(p + "post_attention_layernorm.weight"));
            x = x + (_c.IsMixtureOfExperts ? Experts(h, p + "block_sparse_moe.") : SwiGlu(h, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight"));
        }
        var logits = Linear(RmsNorm(x, W("model.norm.weight")), "lm_head.weight").contiguous();
        var flat = logits.data<float>().ToArray();
        int vocab = _c.VocabularySize;
        return Enumerable.Range(0, n).Select(i => flat.AsSpan(i * vocab, vocab).ToArray()).ToArray();
    }

    /// <summary>
    /// Greedy continuation of <paramref name="prompt"/>: each step recomputes the whole sequence from scratch, so no
    /// cache can carry a mistake forward, and takes the argmax of the last position.
    /// </summary>
    public int[] Greedy(int[] prompt, int steps)
    {
        var tokens = new List<int>(prompt);
        for (int step = 0; step < steps; step++)
            tokens.Add(Engine.Evaluation.Distributions.ArgMax(Forward([.. tokens])[^1]));
        return [.. tokens.Skip(prompt.Length)];
    }

    private Tensor Linear(Tensor x, string weight) => matmul(x, W(weight).t());

    private Tensor W(string name) => _w.TryGetValue(name, out var weight) ? weight
        : throw new KeyNotFoundException($"the torch reference has no weight '{name}'");

    private Tensor RmsNorm(Tensor x, Tensor weight) => x * rsqrt((x * x).mean([-1L], keepdim: true) + _epsilon) * weight;

    private Tensor SwiGlu(Tensor x, string gate, string up, string down) =>
        Linear(nn.functional.silu(Linear(x, gate)) * Linear(x, up), down);

    /// <summary>Mixtral's sparse block: softmax over all experts, keep the top k, renormalise, weighted sum of the chosen experts.</summary>
    private Tensor Experts(Tensor x, string prefix)
    {
        var probabilities = Linear(x, prefix + "gate.weight").softmax(-1);
        var (weights, chosen) = probabilities.topk(_c.ExpertUsedCount, dim: -1);
        weights = weights / weights.sum(-1, keepdim: true);
        var output = zeros_like(x);
        for (int e = 0; e < _c.ExpertCount; e++)
        {
            // Each token's weight for expert e (zero when it was not chosen).
            var weight = (weights * chosen.eq(tensor((long)e)).to_type(ScalarType.Float32)).sum(-1, keepdim: true);
            string p = $"{prefix}experts.{e}.";
            output = output + weight * SwiGlu(x, p + "w1.weight", p + "w3.weight", p + "w2.weight");
        }
        return output;
    }

    /// <summary>cos and sin [1, n, hd] for positions 0..n−1 with inverse frequencies θ^(−2i/hd), each half repeated (HF layout).</summary>
    private (Tensor Cos, Tensor Sin) Rotary(int n, int hd)
    {
        var angles = new double[n * (hd / 2)];
        for (int position = 0; position < n; position++)
        {
            for (int i = 0; i < hd / 2; i++)
                angles[position * (hd / 2) + i] = position * Math.Pow(_c.RopeTheta, -2.0 * i / hd);
        }
        var half = tensor(angles, [n, hd / 2]);
        var full = cat([half, half], -1);
        return (full.cos().to_type(ScalarType.Float32).unsqueeze(0), full.sin().to_type(ScalarType.Float32).unsqueeze(0));
    }

    private static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }

    /// <summary>0 where key j is visible from query i (j ≤ i, and i − j &lt; window when there is one), −∞ elsewhere.</summary>
    private Tensor Mask(int n)
    {
        var mask = new float[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                bool visible = j <= i && (_c.SlidingWindow == 0 || i - j < _c.SlidingWindow);
                mask[i * n + j] = visible ? 0 : float.NegativeInfinity;
            }
        }
        return tensor(mask, [n, n]);
    }

    public void Dispose()
    {
        foreach (var t in _w.Values)
            t.Dispose();
        _epsilon.Dispose();
        _scoreScale.Dispose();
    }
}
