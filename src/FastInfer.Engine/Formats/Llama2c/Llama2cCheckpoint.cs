using System.Buffers.Binary;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Formats.Llama2c;

/// <summary>
/// A llama2.c checkpoint (the original "version 0" export: 7 int32 header, then F32 weights), memory-mapped
/// and exposed under GGUF tensor names with zero-copy views. llama2.c rotates adjacent pairs, like GGUF Llama.
/// </summary>
public sealed class Llama2cCheckpoint : ITensorSource
{
    private const int HeaderBytes = 7 * sizeof(int);
    // Newer llama2.c exports (version 1 and 2) start with this magic instead of a bare header.
    private const uint VersionedExportMagic = 0x616b3432;

    private readonly MappedFile _file;
    private readonly Dictionary<string, TensorView> _byName;

    private Llama2cCheckpoint(MappedFile file, LlamaConfig config, bool sharedClassifier, List<TensorView> tensors)
    {
        _file = file;
        Config = config;
        SharedClassifier = sharedClassifier;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name);
    }

    public LlamaConfig Config { get; }

    /// <summary>True when the classifier reuses token_embd (positive vocab_size in the header); no output.weight then.</summary>
    public bool SharedClassifier { get; }

    public long FileLength => _file.Length;

    public IReadOnlyList<TensorView> Tensors { get; }

    public TensorView? Find(string name) => _byName.GetValueOrDefault(name);

    public TensorView Get(string name) => Find(name) ?? throw Gguf.GgufFile.MissingTensor(name);

    /// <param name="contextOverride">Context length to use instead of the header's seq_len (RoPE tables are recomputed, not read).</param>
    public static Llama2cCheckpoint Open(string path, int? contextOverride = null)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Parse(file, contextOverride);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Llama2cCheckpoint Parse(MappedFile file, int? contextOverride)
    {
        if (file.Length < HeaderBytes)
            throw new Llama2cFormatException("header", 0, $"the file has {file.Length} bytes; the header alone needs {HeaderBytes}");
        var header = new int[7];
        for (int i = 0; i < header.Length; i++)
            header[i] = BinaryPrimitives.ReadInt32LittleEndian(file.Span(i * 4, 4));
        int Field(int i) => header[i];
        if ((uint)Field(0) == VersionedExportMagic)
            throw new Llama2cFormatException("magic", 0, "this is a versioned llama2.c export (magic \"ak42\"); only the legacy version-0 checkpoint is supported");

        int dim = Field(0), hidden = Field(1), layers = Field(2), heads = Field(3), kvHeads = Field(4), vocab = Field(5), seqLen = Field(6);
        Require(dim > 0 && dim <= 1 << 16, "dim", 0, dim);
        Require(hidden > 0 && hidden <= 1 << 18, "hidden_dim", 4, hidden);
        Require(layers > 0 && layers <= 1024, "n_layers", 8, layers);
        Require(heads > 0 && dim % heads == 0 && dim / heads % 2 == 0, "n_heads", 12, heads, $"must divide dim {dim} into even head sizes");
        Require(kvHeads > 0 && heads % kvHeads == 0, "n_kv_heads", 16, kvHeads, $"must divide n_heads {heads}");
        Require(vocab != 0 && vocab != int.MinValue && Math.Abs(vocab) <= 1 << 22, "vocab_size", 20, vocab);
        Require(seqLen > 0 && seqLen <= 1 << 24, "seq_len", 24, seqLen);
        if (contextOverride is { } ctx && ctx <= 0)
            throw new ArgumentOutOfRangeException(nameof(contextOverride), $"context length {ctx} is not positive");

        bool shared = vocab > 0;
        vocab = Math.Abs(vocab);
        int headSize = dim / heads;
        int kvDim = kvHeads * headSize;

        var layout = new Layout(file);
        var tensors = new List<TensorView>();
        var embedding = layout.Take("token_embd.weight", dim, vocab);
        var attnNorm = layout.TakeLayers("attn_norm.weight", layers, dim);
        var q = layout.TakeLayers("attn_q.weight", layers, dim, dim);
        var k = layout.TakeLayers("attn_k.weight", layers, dim, kvDim);
        var v = layout.TakeLayers("attn_v.weight", layers, dim, kvDim);
        var o = layout.TakeLayers("attn_output.weight", layers, dim, dim);
        var ffnNorm = layout.TakeLayers("ffn_norm.weight", layers, dim);
        var gate = layout.TakeLayers("ffn_gate.weight", layers, dim, hidden);
        var down = layout.TakeLayers("ffn_down.weight", layers, hidden, dim);
        var up = layout.TakeLayers("ffn_up.weight", layers, dim, hidden);
        var outputNorm = layout.Take("output_norm.weight", dim);
        // freq_cis_real and freq_cis_imag: RoPE tables FastInfer recomputes.
        layout.Skip("freq_cis_real/freq_cis_imag", 2L * seqLen * (headSize / 2));
        var classifier = shared ? null : layout.Take("output.weight", dim, vocab);
        if (layout.Offset != file.Length)
            throw new Llama2cFormatException("file size", layout.Offset,
                $"the header (dim {dim}, hidden_dim {hidden}, {layers} layers, {heads} heads, {kvHeads} KV heads, vocab {vocab}{(shared ? "" : " unshared")}, seq_len {seqLen}) implies {layout.Offset} bytes but the file has {file.Length}");

        tensors.Add(embedding);
        for (int l = 0; l < layers; l++)
            tensors.AddRange([attnNorm[l], q[l], k[l], v[l], o[l], ffnNorm[l], gate[l], down[l], up[l]]);
        tensors.Add(outputNorm);
        if (classifier is not null)
            tensors.Add(classifier);

        var config = new LlamaConfig
        {
            Architecture = "llama",
            EmbeddingLength = dim,
            FeedForwardLength = hidden,
            BlockCount = layers,
            HeadCount = heads,
            KvHeadCount = kvHeads,
            VocabularySize = vocab,
            ContextLength = contextOverride ?? seqLen,
            RmsEpsilon = 1e-5f,
            RopeTheta = 10000f,
            RopeDimensions = headSize,
            RopeLayout = RopeLayout.Interleaved,
        };
        config.Validate();
        return new Llama2cCheckpoint(file, config, shared, tensors);
    }

    private static void Require(bool ok, string field, long offset, int value, string? why = null)
    {
        if (!ok)
            throw new Llama2cFormatException(field, offset, $"value {value} is out of range{(why is null ? "" : ": " + why)}");
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Walks the weights in llama2.c's order; offsets are checked against the file before a view is made.</summary>
    private sealed class Layout(MappedFile file)
    {
        public long Offset { get; private set; } = HeaderBytes;

        /// <summary>One F32 tensor with ggml dimensions (columns first).</summary>
        public TensorView Take(string name, params long[] dims)
        {
            long bytes = dims.Aggregate((long)sizeof(float), (a, b) => checked(a * b));
            long at = Offset;
            Skip(name, bytes / sizeof(float));
            return new TensorView(name, GgmlType.F32, dims, file.Pointer + (nint)at, bytes);
        }

        /// <summary>llama2.c stores each weight kind for all layers together.</summary>
        public TensorView[] TakeLayers(string suffix, int layers, params long[] dims)
        {
            var result = new TensorView[layers];
            for (int l = 0; l < layers; l++)
                result[l] = Take($"blk.{l}.{suffix}", dims);
            return result;
        }

        public void Skip(string what, long floats)
        {
            long bytes = checked(floats * sizeof(float));
            if (bytes > file.Length - Offset)
                throw new Llama2cFormatException(what, Offset,
                    $"needs {bytes} bytes but the file ends {file.Length - Offset} bytes later (truncated, or the header does not match the weights)");
            Offset += bytes;
        }
    }
}
