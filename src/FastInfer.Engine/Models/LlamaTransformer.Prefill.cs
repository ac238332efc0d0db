using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Models;

/// <summary>
/// Prompt processing: many tokens per step, so every weight matrix is read once per batch and the
/// matrix-matrix kernels run at arithmetic speed instead of memory speed.
/// </summary>
public sealed partial class LlamaTransformer
{
    /// <summary>
    /// Runs <paramref name="tokens"/> at positions [start, start + count) and returns the logits after the
    /// last one. Equivalent to calling <see cref="Forward"/> for each token, up to float rounding.
    /// </summary>
    public ReadOnlySpan<float> Prefill(InferenceState state, ReadOnlySpan<int> tokens, int start, CancellationToken cancellationToken = default)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("prefill needs at least one token", nameof(tokens));
        if (start < 0 || start + tokens.Length > state.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"positions [{start}, {start + tokens.Length}) do not fit the context of {state.ContextLength} tokens");
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)_config.VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {_config.VocabularySize}");
        }
        var batch = state.Prefill;
        int done = 0;
        while (done < tokens.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch.MaxTokens, tokens.Length - done);
            PrefillChunk(state, tokens.Slice(done, count), start + done);
            done += count;
        }

        // Only the last position's logits are needed to continue.
        int dim = _config.EmbeddingLength;
        int last = (tokens.Length - 1) % batch.MaxTokens;
        var b = state.Buffers;
        Norms.RmsNorm(batch.Residual.AsSpan(last * dim, dim), _weights.OutputNorm.AsF32Span(), _config.RmsEpsilon, b.Normed);
        MatVec.Multiply(_weights.Output, b.Normed, b.Logits, _pool);
        GC.KeepAlive(state); // the KV cache's native rows (see Forward)
        return b.Logits;
    }

    private unsafe void PrefillChunk(InferenceState state, ReadOnlySpan<int> tokens, int start)
    {
        var p = state.Prefill;
        int n = tokens.Length, dim = _config.EmbeddingLength, kvDim = _config.KvDimension;
        var x = p.Residual.AsSpan(0, n * dim);
        for (int t = 0; t < n; t++)
            Kernels.Quantization.Quantizer.Dequantize(_weights.TokenEmbedding.Type, _weights.TokenEmbedding.RowSpan(tokens[t]), x.Slice(t * dim, dim));

        var normed = p.Normed.AsSpan(0, n * dim);
        var projected = p.Projected.AsSpan(0, n * dim);
        fixed (float* residual = p.Residual)
        fixed (float* output = p.Projected)
        fixed (float* normedRows = p.Normed)
        {
            for (int layer = 0; layer < _weights.Layers.Count; layer++)
            {
                var w = _weights.Layers[layer];
                // The previous block's output joins the residual in the same pass that normalises it.
                ResidualNorm(residual, layer == 0 ? null : output, w.AttentionNorm.AsF32Span(), normedRows, n);

                // Keys and values land directly in a single-precision cache's rows; for a half cache they go through
                // the batch's buffers and are rounded as they are stored.
                var cache = state.Cache;
                bool halfCache = cache.Type == KvCacheType.F16;
                var queries = p.Queries.AsSpan(0, n * dim);
                var keys = halfCache ? p.Keys.AsSpan(0, n * kvDim) : cache.Keys(layer).Slice(start * kvDim, n * kvDim);
                var values = halfCache ? p.Values.AsSpan(0, n * kvDim) : cache.Values(layer).Slice(start * kvDim, n * kvDim);
                ProjectQueryKeyValue(p, w, normed, queries, keys, values, n);
                Rotate(queries, keys, start, n);
                var attention = p.AttentionOut.AsSpan(0, n * dim);
                if (halfCache)
                {
                    cache.Store(layer, start, keys, values);
                    Attention.Prefill(queries, n, start, cache.HalfKeys(layer), cache.HalfValues(layer),
                        _config.HeadCount, _config.KvHeadCount, _config.HeadDimension, attention, _pool, _config.SlidingWindow);
                }
                else
                    Attention.Prefill(queries, n, start, cache.Keys(layer), cache.Values(layer),
                        _config.HeadCount, _config.KvHeadCount, _config.HeadDimension, attention, _pool, _config.SlidingWindow);
                MatMul.Multiply(w.AttentionOutput, attention, projected, n, _pool);

                ResidualNorm(residual, output, w.FeedForwardNorm.AsF32Span(), normedRows, n);
                if (w.Experts is { } experts)
                    MixtureOfExpertsBatch(p, experts, normed, projected, n);
                else
                    FeedForwardBatch(p, w.Dense!, normed, projected, n);
            }
            ResidualNorm(residual, output, default, null, n);
        }
    }

    /// <summary>residual += added (when given), then normed = RMSNorm(residual) (when given), for n token rows in parallel.</summary>
    private unsafe void ResidualNorm(float* residual, float* added, ReadOnlySpan<float> weight, float* normed, int n)
    {
        fixed (float* w = weight)
        {
            int dim = _config.EmbeddingLength;
            var job = new PrefillRowJobs.ResidualNorm
            {
                Residual = residual, Added = added, Weight = w, Normed = normed, Dimension = dim, Epsilon = _config.RmsEpsilon,
            };
            _pool.For(n, ref job, 1, 3L * n * dim * sizeof(float));
        }
    }

    /// <summary>Queries, keys and values of n tokens: one product when the layer has a fused matrix, then split per token.</summary>
    private unsafe void ProjectQueryKeyValue(PrefillBuffers p, LayerWeights w, ReadOnlySpan<float> normed, Span<float> queries, Span<float> keys, Span<float> values, int n)
    {
        if (w.QueryKeyValue is not { } fused)
        {
            MatMul.Multiply(w.Query, normed, queries, n, _pool);
            MatMul.Multiply(w.Key, normed, keys, n, _pool);
            MatMul.Multiply(w.Value, normed, values, n, _pool);
            return;
        }
        var all = p.Fused.AsSpan(0, n * fused.Rows);
        MatMul.Multiply(fused, normed, all, n, _pool);
        bool withValue = w.FusesValue;
        fixed (float* a = all)
        fixed (float* q = queries)
        fixed (float* k = keys)
        fixed (float* v = values)
        {
            var job = new PrefillRowJobs.SplitQueryKeyValue
            {
                Fused = a, FusedWidth = fused.Rows, Queries = q, QueryWidth = w.Query.Rows, Keys = k, Values = withValue ? v : null, KeyWidth = w.Key.Rows,
            };
            _pool.For(n, ref job, 1, 2L * all.Length * sizeof(float));
        }
        if (!withValue)
            MatMul.Multiply(w.Value, normed, values, n, _pool);
    }

    private unsafe void Rotate(Span<float> queries, Span<float> keys, int start, int n)
    {
        fixed (float* q = queries)
        fixed (float* k = keys)
        {
            var job = new PrefillRowJobs.Rotary
            {
                Rope = _rope, Queries = q, Keys = k, QueryHeads = _config.HeadCount, KeyHeads = _config.KvHeadCount, FirstPosition = start,
            };
            _pool.For(n, ref job, 1, (long)(queries.Length + keys.Length) * 3 * sizeof(float));
        }
    }

    private unsafe void SiluMulBatch(Span<float> gate, ReadOnlySpan<float> up)
    {
        fixed (float* g = gate)
        fixed (float* u = up)
        {
            var job = new PrefillRowJobs.SiluMul { Gate = g, Up = u, Length = gate.Length };
            _pool.For(PrefillRowJobs.SiluMul.Chunks(gate.Length), ref job, 1, 3L * gate.Length * sizeof(float));
        }
    }

    private void FeedForwardBatch(PrefillBuffers p, DenseFeedForward ffn, ReadOnlySpan<float> input, Span<float> output, int n)
    {
        int hidden = _config.FeedForwardLength;
        var gate = p.Gate.AsSpan(0, n * hidden);
        var up = p.Fused.AsSpan(0, n * hidden);
        // A fused gate-up matrix runs as its two halves here: one product of twice the rows, then a pass splitting the
        // token rows, measured 5% slower in tinyllama Q4_0 pp128 than two products (decode uses the fused one).
        MatMul.Multiply(ffn.Gate, input, gate, n, _pool);
        MatMul.Multiply(ffn.Up, input, up, n, _pool);
        SiluMulBatch(gate, up);
        MatMul.Multiply(ffn.Down, gate, output, n, _pool);
    }

    /// <summary>
    /// Routes every token, then runs each expert once over all the tokens routed to it, so an expert's
    /// weights stream from memory once per batch rather than once per token.
    /// </summary>
    private void MixtureOfExpertsBatch(PrefillBuffers p, ExpertFeedForward moe, ReadOnlySpan<float> input, Span<float> output, int n)
    {
        int dim = _config.EmbeddingLength, experts = moe.Experts.Length, k = moe.ExpertsPerToken;
        var router = p.RouterLogits.AsSpan(0, n * experts);
        MatMul.Multiply(moe.Router, input, router, n, _pool);
        for (int t = 0; t < n; t++)
        {
            Route(router.Slice(t * experts, experts), p.Assignments.AsSpan(t * k, k), p.AssignmentWeights.AsSpan(t * k, k));
        }

        output.Clear();
        for (int e = 0; e < experts; e++)
        {
            int routed = 0;
            for (int t = 0; t < n; t++)
            {
                for (int i = 0; i < k; i++)
                {
                    if (p.Assignments[t * k + i] != e)
                        continue;
                    p.ExpertTokens[routed] = t;
                    p.ExpertWeights[routed] = p.AssignmentWeights[t * k + i];
                    input.Slice(t * dim, dim).CopyTo(p.ExpertInput.AsSpan(routed * dim, dim));
                    routed++;
                }
            }
            if (routed == 0)
                continue;
            var expertOutput = p.ExpertOutput.AsSpan(0, routed * dim);
            FeedForwardBatch(p, moe.Experts[e], p.ExpertInput.AsSpan(0, routed * dim), expertOutput, routed);
            for (int r = 0; r < routed; r++)
                VectorOps.AddScaled(output.Slice(p.ExpertTokens[r] * dim, dim), expertOutput.Slice(r * dim, dim), p.ExpertWeights[r]);
        }
    }
}
