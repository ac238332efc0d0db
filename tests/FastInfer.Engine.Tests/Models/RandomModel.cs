using FastInfer.Engine.Models;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Models;

/// <summary>Seeded random weights of a given config, as both an engine tensor source and a reference model.</summary>
internal static class RandomModel
{
    public static (InMemoryTensorSource Source, ReferenceLlama Reference) Create(LlamaConfig c, int seed, bool mergedExperts = true, bool tiedOutput = false)
    {
        var random = new Random(seed);
        float[] Values(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        float[] Norm(int count) => Enumerable.Range(0, count).Select(_ => (float)(1 + (random.NextDouble() - 0.5) * 0.2)).ToArray();

        int dim = c.EmbeddingLength, kv = c.KvDimension, ffn = c.FeedForwardLength, vocab = c.VocabularySize;
        double s = 1.0 / Math.Sqrt(dim);
        var source = new InMemoryTensorSource();
        var embedding = Values(vocab * dim, 1.0);
        source.Add("token_embd.weight", embedding, GgmlType.F32, dim, vocab);
        var output = tiedOutput ? embedding : Values(vocab * dim, s);
        if (!tiedOutput)
            source.Add("output.weight", output, GgmlType.F32, dim, vocab);
        var outputNorm = Norm(dim);
        source.Add("output_norm.weight", outputNorm, GgmlType.F32, dim);

        var layers = new ReferenceLayer[c.BlockCount];
        for (int l = 0; l < c.BlockCount; l++)
        {
            string p = $"blk.{l}.";
            var attnNorm = Norm(dim); source.Add(p + "attn_norm.weight", attnNorm, GgmlType.F32, dim);
            var wq = Values(dim * dim, s); source.Add(p + "attn_q.weight", wq, GgmlType.F32, dim, dim);
            var wk = Values(kv * dim, s); source.Add(p + "attn_k.weight", wk, GgmlType.F32, dim, kv);
            var wv = Values(kv * dim, s); source.Add(p + "attn_v.weight", wv, GgmlType.F32, dim, kv);
            var wo = Values(dim * dim, s); source.Add(p + "attn_output.weight", wo, GgmlType.F32, dim, dim);
            var ffnNorm = Norm(dim); source.Add(p + "ffn_norm.weight", ffnNorm, GgmlType.F32, dim);
            if (!c.IsMixtureOfExperts)
            {
                var g = Values(ffn * dim, s); source.Add(p + "ffn_gate.weight", g, GgmlType.F32, dim, ffn);
                var u = Values(ffn * dim, s); source.Add(p + "ffn_up.weight", u, GgmlType.F32, dim, ffn);
                var d = Values(dim * ffn, 1.0 / Math.Sqrt(ffn)); source.Add(p + "ffn_down.weight", d, GgmlType.F32, ffn, dim);
                layers[l] = new ReferenceLayer { AttentionNorm = attnNorm, Query = wq, Key = wk, Value = wv, AttentionOutput = wo, FfnNorm = ffnNorm, Gate = g, Up = u, Down = d };
            }
            else
            {
                var router = Values(c.ExpertCount * dim, s * 4); source.Add(p + "ffn_gate_inp.weight", router, GgmlType.F32, dim, c.ExpertCount);
                var experts = Enumerable.Range(0, c.ExpertCount).Select(_ => (Values(ffn * dim, s), Values(ffn * dim, s), Values(dim * ffn, 1.0 / Math.Sqrt(ffn)))).ToArray();
                if (mergedExperts)
                {
                    source.Add(p + "ffn_gate_exps.weight", experts.SelectMany(e => e.Item1).ToArray(), GgmlType.F32, dim, ffn, c.ExpertCount);
                    source.Add(p + "ffn_up_exps.weight", experts.SelectMany(e => e.Item2).ToArray(), GgmlType.F32, dim, ffn, c.ExpertCount);
                    source.Add(p + "ffn_down_exps.weight", experts.SelectMany(e => e.Item3).ToArray(), GgmlType.F32, ffn, dim, c.ExpertCount);
                }
                else
                {
                    for (int e = 0; e < c.ExpertCount; e++)
                    {
                        source.Add($"{p}ffn_gate.{e}.weight", experts[e].Item1, GgmlType.F32, dim, ffn);
                        source.Add($"{p}ffn_up.{e}.weight", experts[e].Item2, GgmlType.F32, dim, ffn);
                        source.Add($"{p}ffn_down.{e}.weight", experts[e].Item3, GgmlType.F32, ffn, dim);
                    }
                }
                layers[l] = new ReferenceLayer { AttentionNorm = attnNorm, Query = wq, Key = wk, Value = wv, AttentionOutput = wo, FfnNorm = ffnNorm, Router = router, Experts = experts };
            }
        }
        var reference = new ReferenceLlama { Config = c, Embedding = embedding, Output = output, OutputNorm = outputNorm, Layers = layers };
        return (source, reference);
    }
}
