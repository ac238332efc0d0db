using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// The Llama-family forward pass (Llama 2/3, Mistral, Mixtral) for one token at a time.
/// Reads top to bottom like the math: embed, then per block attention and feed-forward with residuals,
/// then the final norm and the output head. Everything it touches is made at load or per session.
/// </summary>
public sealed partial class LlamaTransformer
{
    private readonly LlamaWeights _weights;
    private readonly LlamaConfig _config;
    private readonly RopeTable _rope;
    private readonly ComputePool _pool;
    private readonly KvCacheType _cacheType;

    public LlamaTransformer(LlamaWeights weights, int maxContextLength, ComputePool pool, KvCacheType cacheType = KvCacheType.F32)
    {
        _weights = weights;
        _config = weights.Config;
        _pool = pool;
        _cacheType = cacheType;
        _rope = new RopeTable(_config.HeadDimension, _config.RotaryDimensions, maxContextLength, _config.RopeTheta, _config.RopeLayout);
    }

    public LlamaConfig Config => _config;
    public LlamaWeights Weights => _weights;
    public int MaxContextLength => _rope.MaxPositions;
    /// <summary>How the states this transformer makes store their keys and values.</summary>
    public KvCacheType CacheType => _cacheType;

    public InferenceState CreateState(int contextLength)
    {
        if (contextLength > MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"context {contextLength} exceeds the model's loaded maximum {MaxContextLength}");
        return new InferenceState(_config, contextLength, _cacheType);
    }

    /// <summary>Runs <paramref name="token"/> at <paramref name="position"/> and returns the next-token logits.</summary>
    public ReadOnlySpan<float> Forward(InferenceState state, int token, int position)
    {
        if ((uint)token >= (uint)_config.VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), $"token id {token} is outside the vocabulary of {_config.VocabularySize}");
        if ((uint)position >= (uint)state.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is past the context of {state.ContextLength} tokens");

        var b = state.Buffers;
        Span<float> x = b.Residual;
        Quantizer.Dequantize(_weights.TokenEmbedding.Type, _weights.TokenEmbedding.RowSpan(token), x);

        for (int layer = 0; layer < _weights.Layers.Count; layer++)
        {
            var w = _weights.Layers[layer];
            Attend(state, w, layer, position);
            VectorOps.Add(x, b.Projected);

            Norms.RmsNorm(x, w.FeedForwardNorm.AsF32Span(), _config.RmsEpsilon, b.Normed);
            if (w.Experts is { } experts)
                MixtureOfExperts(b, experts);
            else
                FeedForward(b, w.Dense!, b.Projected);
            VectorOps.Add(x, b.Projected);
        }

        Norms.RmsNorm(x, _weights.OutputNorm.AsF32Span(), _config.RmsEpsilon, b.Normed);
        MatVec.Multiply(_weights.Output, b.Normed, b.Logits, _pool);
        // The KV cache's rows are native memory freed by a finalizer: the state stays reachable until its spans are done.
        GC.KeepAlive(state);
        return b.Logits;
    }

    /// <summary>Self-attention of one position; leaves the block's output in Buffers.Projected.</summary>
    private void Attend(InferenceState state, LayerWeights w, int layer, int position)
    {
        var b = state.Buffers;
        var cache = state.Cache;
        Norms.RmsNorm(b.Residual, w.AttentionNorm.AsF32Span(), _config.RmsEpsilon, b.Normed);

        // Query, key and value in one call where they can be: a matrix stacked from them (fused), or the separate
        // matrices, which the packed kernels take in one call when they share a type (MatVec.Multiply over parts). The
        // value joins when it has the query's type (not in Q4_K_M, whose value matrix is Q6_K). This position's key
        // and value are then copied into the cache rows (a single-precision cache's rows directly; a half cache's
        // through the buffers, rounded as they are stored).
        bool halfCache = cache.Type == KvCacheType.F16;
        var key = halfCache ? b.Key : cache.KeyRow(layer, position);
        var value = halfCache ? b.Value : cache.ValueRow(layer, position);
        bool valueJoins = w.QueryKeyValue is not null ? w.FusesValue : w.Value.Type == w.Query.Type;
        var projected = b.QueryKeyValue.AsSpan(0, w.Query.Rows + w.Key.Rows + (valueJoins ? w.Value.Rows : 0));
        if (w.QueryKeyValue is { } fused)
            MatVec.Multiply(fused, b.Normed, projected, _pool);
        else if (valueJoins)
            MatVec.Multiply([w.Query, w.Key, w.Value], b.Normed, projected, _pool);
        else
            MatVec.Multiply([w.Query, w.Key], b.Normed, projected, _pool);
        var query = projected[..w.Query.Rows];
        projected.Slice(w.Query.Rows, w.Key.Rows).CopyTo(key);
        if (valueJoins)
            projected.Slice(w.Query.Rows + w.Key.Rows, w.Value.Rows).CopyTo(value);
        else
            MatVec.Multiply(w.Value, b.Normed, value, _pool);
        _rope.Apply(query, _config.HeadCount, position);
        _rope.Apply(key, _config.KvHeadCount, position);

        int first = _config.SlidingWindow > 0 ? Math.Max(0, position - _config.SlidingWindow + 1) : 0;
        if (halfCache)
        {
            cache.Store(layer, position, key, value);
            Attention.Decode(query, cache.HalfKeys(layer), cache.HalfValues(layer), first, position + 1,
                _config.HeadCount, _config.KvHeadCount, _config.HeadDimension, b.AttentionOut, _pool);
        }
        else
            Attention.Decode(query, cache.Keys(layer), cache.Values(layer), first, position + 1,
                _config.HeadCount, _config.KvHeadCount, _config.HeadDimension, b.AttentionOut, _pool);
        MatVec.Multiply(w.AttentionOutput, b.AttentionOut, b.Projected, _pool);
    }

    /// <summary>SwiGLU: output = down(silu(gate·x) ⊙ up·x), reading the normed input.</summary>
    private void FeedForward(ForwardBuffers b, DenseFeedForward ffn, Span<float> output)
    {
        // Gate and up land side by side in b.GateUp either way: from the stacked matrix, or from both parts in one call.
        if (ffn.GateUp is { } fused)
            MatVec.Multiply(fused, b.Normed, b.GateUp, _pool);
        else
            MatVec.Multiply([ffn.Gate, ffn.Up], b.Normed, b.GateUp, _pool);
        Activations.SiluMul(b.Gate, b.Up);
        MatVec.Multiply(ffn.Down, b.Gate, output, _pool);
    }

    /// <summary>
    /// Sparse MoE (Mixtral): softmax over the router's logits, keep the top k experts, renormalise their
    /// weights to sum to one, and add each selected expert's SwiGLU output scaled by its weight.
    /// Only the selected experts' weights are read.
    /// </summary>
    private void MixtureOfExperts(ForwardBuffers b, ExpertFeedForward moe)
    {
        var router = b.RouterLogits.AsSpan(0, moe.Experts.Length);
        MatVec.Multiply(moe.Router, b.Normed, router, _pool);
        int k = moe.ExpertsPerToken;
        var selected = b.SelectedExperts.AsSpan(0, k);
        var weights = b.SelectedWeights.AsSpan(0, k);
        Route(router, selected, weights);

        Span<float> output = b.Projected;
        output.Clear();
        for (int i = 0; i < k; i++)
        {
            FeedForward(b, moe.Experts[selected[i]], b.ExpertOut);
            VectorOps.AddScaled(output, b.ExpertOut, weights[i]);
        }
    }

    /// <summary>
    /// Mixtral's routing of one token: softmax over the router logits (in place), the top k experts, and their
    /// probabilities renormalised to sum to one.
    /// </summary>
    internal static void Route(Span<float> routerLogits, Span<int> selected, Span<float> weights)
    {
        VectorOps.Softmax(routerLogits);
        SelectTopExperts(routerLogits, selected, weights);
        float total = 0;
        foreach (var weight in weights)
            total += weight;
        for (int i = 0; i < weights.Length; i++)
            weights[i] /= total;
    }

    /// <summary>The k largest probabilities, highest first; the lower expert index wins a tie.</summary>
    internal static void SelectTopExperts(ReadOnlySpan<float> probabilities, Span<int> selected, Span<float> weights)
    {
        for (int i = 0; i < selected.Length; i++)
        {
            int best = -1;
            for (int e = 0; e < probabilities.Length; e++)
            {
                if (selected[..i].Contains(e))
                    continue;
                if (best < 0 || probabilities[e] > probabilities[best])
                    best = e;
            }
            selected[i] = best;
            weights[i] = probabilities[best];
        }
    }
}
