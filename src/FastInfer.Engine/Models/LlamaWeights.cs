using FastInfer.Engine.Formats;
using FastInfer.Kernels;

namespace FastInfer.Engine.Models;

/// <summary>
/// Binds a file's tensors (GGUF names) to a Llama-family architecture and checks every shape against
/// the hyperparameters, so a mismatched file fails at load with the tensor's name rather than at run time.
/// </summary>
public sealed class LlamaWeights
{
    private LlamaWeights(LlamaConfig config, WeightMatrix embedding, LayerWeights[] layers, TensorView outputNorm, WeightMatrix output, bool tied)
    {
        Config = config;
        TokenEmbedding = embedding;
        Layers = layers;
        OutputNorm = outputNorm;
        Output = output;
        TiedOutput = tied;
    }

    public LlamaConfig Config { get; }
    public WeightMatrix TokenEmbedding { get; }
    public IReadOnlyList<LayerWeights> Layers { get; }
    public TensorView OutputNorm { get; }
    public WeightMatrix Output { get; }
    /// <summary>True when the output head reuses the token embedding.</summary>
    public bool TiedOutput { get; }

    public static LlamaWeights Bind(ITensorSource source, LlamaConfig config)
    {
        config.Validate();
        int dim = config.EmbeddingLength, kvDim = config.KvDimension, ffn = config.FeedForwardLength, vocab = config.VocabularySize;

        var embedding = Matrix(source, "token_embd.weight", vocab, dim);
        var outputView = source.Find("output.weight");
        var output = outputView is null ? embedding : Matrix(source, "output.weight", vocab, dim);
        var outputNorm = Vector(source, "output_norm.weight", dim);

        var layers = new LayerWeights[config.BlockCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            layers[i] = new LayerWeights
            {
                AttentionNorm = Vector(source, p + "attn_norm.weight", dim),
                Query = Matrix(source, p + "attn_q.weight", dim, dim),
                Key = Matrix(source, p + "attn_k.weight", kvDim, dim),
                Value = Matrix(source, p + "attn_v.weight", kvDim, dim),
                AttentionOutput = Matrix(source, p + "attn_output.weight", dim, dim),
                FeedForwardNorm = Vector(source, p + "ffn_norm.weight", dim),
                Dense = config.IsMixtureOfExperts ? null : new DenseFeedForward(
                    Matrix(source, p + "ffn_gate.weight", ffn, dim),
                    Matrix(source, p + "ffn_up.weight", ffn, dim),
                    Matrix(source, p + "ffn_down.weight", dim, ffn)),
                Experts = config.IsMixtureOfExperts ? BindExperts(source, config, p) : null,
            };
        }
        return new LlamaWeights(config, embedding, layers, outputNorm, output, outputView is null);
    }

    /// <summary>
    /// The same weights with every matrix the forward pass multiplies by passed through <paramref name="map"/> (for
    /// example to attach a repacked copy). The token embedding stays as it is: it is only read row by row. A fused
    /// matrix is mapped as one, and its parts become row slices of the result.
    /// </summary>
    internal LlamaWeights WithMatrices(Func<WeightMatrix, WeightMatrix> map)
    {
        var layers = new LayerWeights[Layers.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            var layer = Layers[i];
            WeightMatrix query, key, value;
            WeightMatrix? fused = null;
            if (layer.QueryKeyValue is { } qkv)
            {
                fused = map(qkv);
                (query, key, value) = LayerWeights.SlicesOf(fused.Value, layer.Query.Rows, layer.Key.Rows, layer.FusesValue ? null : map(layer.Value));
            }
            else
            {
                query = map(layer.Query);
                key = map(layer.Key);
                value = map(layer.Value);
            }
            layers[i] = new LayerWeights
            {
                AttentionNorm = layer.AttentionNorm,
                Query = query,
                Key = key,
                Value = value,
                QueryKeyValue = fused,
                AttentionOutput = map(layer.AttentionOutput),
                FeedForwardNorm = layer.FeedForwardNorm,
                Dense = layer.Dense is { } dense ? MapDense(dense, map) : null,
                Experts = layer.Experts is { } moe
                    ? new ExpertFeedForward(map(moe.Router), moe.Experts.Select(e => MapDense(e, map)).ToArray(), moe.ExpertsPerToken)
                    : null,
            };
        }
        return new LlamaWeights(Config, TokenEmbedding, layers, OutputNorm, map(Output), TiedOutput);
    }

    private static DenseFeedForward MapDense(DenseFeedForward ffn, Func<WeightMatrix, WeightMatrix> map)
    {
        if (ffn.GateUp is not { } fused)
            return new DenseFeedForward(map(ffn.Gate), map(ffn.Up), map(ffn.Down));
        return DenseFeedForward.Stacked(map(fused), ffn.Gate.Rows, map(ffn.Down));
    }

    /// <summary>The same weights with <paramref name="layers"/> in place of the blocks (the fused ones, same shapes).</summary>
    internal LlamaWeights WithLayers(LayerWeights[] layers)
    {
        if (layers.Length != Layers.Count)
            throw new ArgumentException($"{layers.Length} layers given for a model of {Layers.Count}", nameof(layers));
        return new LlamaWeights(Config, TokenEmbedding, layers, OutputNorm, Output, TiedOutput);
    }

    private static ExpertFeedForward BindExperts(ITensorSource source, LlamaConfig config, string prefix)
    {
        int dim = config.EmbeddingLength, ffn = config.FeedForwardLength, count = config.ExpertCount;
        var router = Matrix(source, prefix + "ffn_gate_inp.weight", count, dim);
        var experts = new DenseFeedForward[count];
        if (source.Find(prefix + "ffn_gate_exps.weight") is not null)
        {
            // Merged layout: one 3-D tensor per projection, experts along the outermost axis.
            var gate = Stacked(source, prefix + "ffn_gate_exps.weight", count, ffn, dim);
            var up = Stacked(source, prefix + "ffn_up_exps.weight", count, ffn, dim);
            var down = Stacked(source, prefix + "ffn_down_exps.weight", count, dim, ffn);
            for (int e = 0; e < count; e++)
                experts[e] = new DenseFeedForward(gate.SliceRows(e * ffn, ffn), up.SliceRows(e * ffn, ffn), down.SliceRows(e * dim, dim));
        }
        else
        {
            // Older per-expert layout.
            for (int e = 0; e < count; e++)
            {
                experts[e] = new DenseFeedForward(
                    Matrix(source, $"{prefix}ffn_gate.{e}.weight", ffn, dim),
                    Matrix(source, $"{prefix}ffn_up.{e}.weight", ffn, dim),
                    Matrix(source, $"{prefix}ffn_down.{e}.weight", dim, ffn));
            }
        }
        return new ExpertFeedForward(router, experts, config.ExpertUsedCount);
    }

    private static WeightMatrix Matrix(ITensorSource source, string name, int rows, int columns)
    {
        var view = source.Get(name);
        if (view.Dimensions.Length != 2 || view.Dimensions[0] != columns || view.Dimensions[1] != rows)
            throw new FormatException($"tensor '{name}' has shape {view.ShapeText}; the hyperparameters need [{columns}, {rows}]");
        RequireComputable(view);
        return view.AsMatrix();
    }

    private static WeightMatrix Stacked(ITensorSource source, string name, int count, int rows, int columns)
    {
        var view = source.Get(name);
        if (view.Dimensions.Length != 3 || view.Dimensions[0] != columns || view.Dimensions[1] != rows || view.Dimensions[2] != count)
            throw new FormatException($"tensor '{name}' has shape {view.ShapeText}; the hyperparameters need [{columns}, {rows}, {count}]");
        RequireComputable(view);
        return view.AsMatrix();
    }

    private static TensorView Vector(ITensorSource source, string name, int length)
    {
        var view = source.Get(name);
        if (view.ElementCount != length || view.Dimensions.Length != 1)
            throw new FormatException($"tensor '{name}' has shape {view.ShapeText}; the hyperparameters need [{length}]");
        if (view.Type != GgmlType.F32)
            throw new FormatException($"tensor '{name}' is {view.Type}; norm weights must be F32");
        return view;
    }

    private static void RequireComputable(TensorView view)
    {
        if (!GgmlTypeTraits.IsSupportedWeight(view.Type))
            throw new NotSupportedException($"tensor '{view.Name}' is stored as {view.Type}, which FastInfer cannot compute with yet");
    }
}
