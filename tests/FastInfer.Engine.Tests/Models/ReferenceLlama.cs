using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Tests.Models;

/// <summary>
/// A deliberately naive Llama forward pass in double precision, written straight from the equations,
/// with its own weights (float arrays in row-major [rows, columns]) — the oracle the engine is checked against.
/// </summary>
internal sealed class ReferenceLlama
{
    public required LlamaConfig Config { get; init; }
    public required float[] Embedding { get; init; }          // [vocab, dim]
    public required float[] Output { get; init; }             // [vocab, dim]
    public required float[] OutputNorm { get; init; }
    public required ReferenceLayer[] Layers { get; init; }

    private readonly List<double[][]> _keys = [];
    private readonly List<double[][]> _values = [];

    public double[] Forward(int token, int position)
    {
        var c = Config;
        int dim = c.EmbeddingLength, hd = c.HeadDimension, kvDim = c.KvDimension;
        var x = new double[dim];
        for (int i = 0; i < dim; i++)
            x[i] = Embedding[token * dim + i];
        while (_keys.Count < c.BlockCount)
        {
            _keys.Add(new double[c.ContextLength][]);
            _values.Add(new double[c.ContextLength][]);
        }
        for (int l = 0; l < c.BlockCount; l++)
        {
            var w = Layers[l];
            var h = RmsNorm(x, w.AttentionNorm, c.RmsEpsilon);
            var q = MatVec(w.Query, h, dim);
            var k = MatVec(w.Key, h, kvDim);
            var v = MatVec(w.Value, h, kvDim);
            Rope(q, c.HeadCount, position);
            Rope(k, c.KvHeadCount, position);
            _keys[l][position] = RoundsCacheToHalf ? ToHalf(k) : k;
            _values[l][position] = RoundsCacheToHalf ? ToHalf(v) : v;
            var attention = new double[dim];
            int first = c.SlidingWindow > 0 ? Math.Max(0, position - c.SlidingWindow + 1) : 0;
            int group = c.HeadCount / c.KvHeadCount;
            for (int head = 0; head < c.HeadCount; head++)
            {
                int kvHead = head / group;
                var scores = new double[position + 1 - first];
                for (int t = first; t <= position; t++)
                {
                    double s = 0;
                    for (int i = 0; i < hd; i++)
                        s += q[head * hd + i] * _keys[l][t][kvHead * hd + i];
                    scores[t - first] = s / Math.Sqrt(hd);
                }
                double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                for (int t = first; t <= position; t++)
                {
                    double p = Math.Exp(scores[t - first] - max) / sum;
                    for (int i = 0; i < hd; i++)
                        attention[head * hd + i] += p * _values[l][t][kvHead * hd + i];
                }
            }
            var o = MatVec(w.AttentionOutput, attention, dim);
            for (int i = 0; i < dim; i++)
                x[i] += o[i];

            h = RmsNorm(x, w.FfnNorm, c.RmsEpsilon);
            double[] ffn;
            if (w.Experts is null)
            {
                ffn = SwiGlu(w.Gate!, w.Up!, w.Down!, h);
            }
            else
            {
                var router = MatVec(w.Router!, h, c.ExpertCount);
                double rmax = router.Max();
                var probabilities = router.Select(r => Math.Exp(r - rmax)).ToArray();
                double rsum = probabilities.Sum();
                var order = Enumerable.Range(0, c.ExpertCount).OrderByDescending(e => probabilities[e]).ThenBy(e => e).Take(c.ExpertUsedCount).ToArray();
                double selectedSum = order.Sum(e => probabilities[e] / rsum);
                ffn = new double[dim];
                foreach (var e in order)
                {
                    var expert = w.Experts[e];
                    var y = SwiGlu(expert.Gate, expert.Up, expert.Down, h);
                    for (int i = 0; i < dim; i++)
                        ffn[i] += probabilities[e] / rsum / selectedSum * y[i];
                }
            }
            for (int i = 0; i < dim; i++)
                x[i] += ffn[i];
        }
        var final = RmsNorm(x, OutputNorm, c.RmsEpsilon);
        return MatVec(Output, final, c.VocabularySize);
    }

    private double[] SwiGlu(float[] gate, float[] up, float[] down, double[] h)
    {
        int ffn = Config.FeedForwardLength;
        var g = MatVec(gate, h, ffn);
        var u = MatVec(up, h, ffn);
        for (int i = 0; i < ffn; i++)
            g[i] = g[i] / (1 + Math.Exp(-g[i])) * u[i];
        return MatVec(down, g, Config.EmbeddingLength);
    }

    /// <summary>Keys and values are cached rounded to half precision (from single precision), as a half KV cache stores them.</summary>
    public bool RoundsCacheToHalf { get; set; }

    private static double[] ToHalf(double[] x) => x.Select(v => (double)(float)(Half)(float)v).ToArray();

    /// <summary>F16 matrices meet activations rounded to F16, as the engine (and ggml) compute them.</summary>
    public bool RoundsActivationsToHalf { get; set; }

    private double[] MatVec(float[] w, double[] x, int rows)
    {
        if (RoundsActivationsToHalf)
            x = x.Select(v => (double)(float)(Half)(float)v).ToArray();
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < x.Length; c++)
                s += w[r * x.Length + c] * x[c];
            y[r] = s;
        }
        return y;
    }

    private static double[] RmsNorm(double[] x, float[] weight, float eps)
    {
        double ss = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(ss + eps);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private void Rope(double[] heads, int headCount, int position)
    {
        int hd = Config.HeadDimension, rot = Config.RotaryDimensions;
        for (int h = 0; h < headCount; h++)
        {
            for (int i = 0; i < rot / 2; i++)
            {
                double angle = position / Math.Pow(Config.RopeTheta, 2.0 * i / rot);
                int a = Config.RopeLayout == RopeLayout.Interleaved ? h * hd + 2 * i : h * hd + i;
                int b = Config.RopeLayout == RopeLayout.Interleaved ? a + 1 : a + rot / 2;
                double va = heads[a], vb = heads[b];
                heads[a] = va * Math.Cos(angle) - vb * Math.Sin(angle);
                heads[b] = va * Math.Sin(angle) + vb * Math.Cos(angle);
            }
        }
    }
}

internal sealed class ReferenceLayer
{
    public required float[] AttentionNorm { get; init; }
    public required float[] Query { get; init; }
    public required float[] Key { get; init; }
    public required float[] Value { get; init; }
    public required float[] AttentionOutput { get; init; }
    public required float[] FfnNorm { get; init; }
    public float[]? Gate { get; init; }
    public float[]? Up { get; init; }
    public float[]? Down { get; init; }
    public float[]? Router { get; init; }
    public (float[] Gate, float[] Up, float[] Down)[]? Experts { get; init; }
}
