using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Sampling;

/// <summary>
/// Chooses tokens from logits under <see cref="SamplingSettings"/>. Buffers are sized to the vocabulary
/// once, so sampling allocates nothing per token. Not thread-safe: one per session.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingSettings _settings;
    private readonly float[] _logits;
    private readonly int[] _candidates;
    private readonly double[] _probabilities;
    private readonly float[] _sortKeys;
    private readonly int[] _penalisedStamp;
    private int _stamp;
    private SplitMix64 _random;

    public Sampler(SamplingSettings settings, int vocabularySize)
    {
        settings.Validate();
        _settings = settings;
        _logits = new float[vocabularySize];
        _candidates = new int[vocabularySize];
        _probabilities = new double[vocabularySize];
        _sortKeys = new float[vocabularySize];
        _penalisedStamp = new int[vocabularySize];
        Seed = settings.Seed ?? (ulong)Random.Shared.NextInt64();
        _random = new SplitMix64(Seed);
    }

    /// <summary>The seed in use (the settings' or the one picked at random), so a run can be repeated.</summary>
    public ulong Seed { get; }

    /// <param name="logits">next-token logits from the model.</param>
    /// <param name="history">tokens so far (prompt and output), for the repetition penalty.</param>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.Length != _logits.Length)
            throw new ArgumentException($"{logits.Length} logits for a vocabulary of {_logits.Length}");
        ReadOnlySpan<float> scores = logits;
        if (_settings.RepeatPenalty != 1f && _settings.RepeatLastN > 0 && !history.IsEmpty)
        {
            logits.CopyTo(_logits);
            ApplyRepeatPenalty(history);
            scores = _logits;
        }
        if (_settings.Temperature <= 0)
            return VectorOps.ArgMax(scores);

        int count = KeepTopK(scores);
        NormaliseSorted(scores, count, temperature: 1.0);
        count = KeepTopP(count);
        count = KeepMinP(count);
        NormaliseSorted(scores, count, _settings.Temperature);

        double u = _random.NextDouble(), cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += _probabilities[i];
            if (u < cumulative)
                return _candidates[i];
        }
        return _candidates[count - 1];
    }

    private void ApplyRepeatPenalty(ReadOnlySpan<int> history)
    {
        // Each distinct recent token is penalised once, however often it occurred.
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_penalisedStamp);
            _stamp = 1;
        }
        float penalty = _settings.RepeatPenalty;
        var recent = history[Math.Max(0, history.Length - _settings.RepeatLastN)..];
        foreach (int token in recent)
        {
            if ((uint)token >= (uint)_logits.Length || _penalisedStamp[token] == _stamp)
                continue;
            _penalisedStamp[token] = _stamp;
            _logits[token] = _logits[token] > 0 ? _logits[token] / penalty : _logits[token] * penalty;
        }
    }

    /// <summary>Fills _candidates with the top k token ids, sorted by score, highest first (lower id on ties).</summary>
    private int KeepTopK(ReadOnlySpan<float> scores)
    {
        int n = scores.Length;
        int k = _settings.TopK <= 0 || _settings.TopK > n ? n : _settings.TopK;
        if (k == n)
        {
            for (int i = 0; i < n; i++)
                _candidates[i] = i;
            SortByScore(scores, n);
            return n;
        }
        // Insertion into a sorted window of k: O(n·k) worst case but O(n) in practice for small k.
        int count = 0;
        for (int token = 0; token < n; token++)
        {
            float s = scores[token];
            if (count == k && !(s > scores[_candidates[k - 1]]))
                continue;
            int at = count < k ? count++ : k - 1;
            while (at > 0 && s > scores[_candidates[at - 1]])
            {
                _candidates[at] = _candidates[at - 1];
                at--;
            }
            _candidates[at] = token;
        }
        return count;
    }

    /// <summary>Full sort, only when top-k is off; keys are negated so the ascending sort puts the best first.</summary>
    private void SortByScore(ReadOnlySpan<float> scores, int count)
    {
        for (int i = 0; i < count; i++)
            _sortKeys[i] = -scores[i];
        Array.Sort(_sortKeys, _candidates, 0, count);
    }

    private void NormaliseSorted(ReadOnlySpan<float> scores, int count, double temperature)
    {
        double max = scores[_candidates[0]], sum = 0;
        for (int i = 0; i < count; i++)
        {
            double p = Math.Exp((scores[_candidates[i]] - max) / temperature);
            _probabilities[i] = p;
            sum += p;
        }
        for (int i = 0; i < count; i++)
            _probabilities[i] /= sum;
    }

    private int KeepTopP(int count)
    {
        if (_settings.TopP >= 1f)
            return count;
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += _probabilities[i];
            if (cumulative >= _settings.TopP)
                return i + 1;
        }
        return count;
    }

    private int KeepMinP(int count)
    {
        if (_settings.MinP <= 0f)
            return count;
        double threshold = _probabilities[0] * _settings.MinP;
        int kept = 1;
        while (kept < count && _probabilities[kept] >= threshold)
            kept++;
        return kept;
    }
}
