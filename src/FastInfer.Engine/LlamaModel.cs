using FastInfer.Engine.Chat;
using FastInfer.Engine.Formats;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Formats.Llama2c;
using FastInfer.Engine.Generation;
using FastInfer.Engine.Models;
using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.HuggingFace;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine;

/// <summary>
/// A loaded Llama-family model (Llama 2/3, Mistral, Mixtral): its memory-mapped weights, tokenizer and
/// compute threads. <code>
/// using var model = LlamaModel.Load("model.gguf");
/// using var session = model.CreateSession();
/// await foreach (var piece in session.GenerateAsync("Once upon a time", new GenerationSettings { MaxTokens = 100 }))
///     Console.Write(piece);
/// </code>
/// </summary>
/// <remarks>
/// Thread-safety: loading and <see cref="CreateSession"/> may be called from any thread; each
/// <see cref="InferenceSession"/> is for one thread at a time, and the forward passes of several
/// sessions take turns on the model's compute threads. Dispose the model after its sessions: it unmaps
/// the file and stops the threads.
/// </remarks>
public sealed class LlamaModel : IDisposable
{
    private readonly ITensorSource _source;
    private readonly FusedProjectionWeights? _fused;
    private readonly PackedModelWeights? _packed;
    private readonly ResidentModelWeights? _resident;
    private readonly ComputePool _pool;
    private readonly Lock _forwardLock = new();
    private bool _disposed;

    private LlamaModel(string path, ModelFileFormat format, ITensorSource source, LlamaConfig config, ITextTokenizer tokenizer, ChatTemplate chatTemplate, ModelLoadOptions options)
    {
        ChatTemplate = chatTemplate;
        Path = path;
        Format = format;
        _source = source;
        Config = config;
        Tokenizer = tokenizer;
        if (tokenizer.VocabularySize != config.VocabularySize)
            throw new FormatException($"the tokenizer has {tokenizer.VocabularySize} tokens but the model's vocabulary is {config.VocabularySize}");
        if (options.Threads < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"threads must be at least 1, got {options.Threads}");
        if (options.ContextLength is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"context length must be positive, got {options.ContextLength}");
        if (!Enum.IsDefined(options.KvCacheType))
            throw new ArgumentOutOfRangeException(nameof(options), $"KV cache type {(int)options.KvCacheType} is neither F32 nor F16");
        if (options.Device is not null && options.KvCacheType != KvCacheType.F32)
            throw new ArgumentException($"a forward device keeps its own F32 KV cache: KV cache type {options.KvCacheType} applies to the CPU forward pass only", nameof(options));
        MaxContextLength = options.ContextLength ?? Math.Min(config.ContextLength, ModelLoadOptions.DefaultContextCap);
        var bound = LlamaWeights.Bind(source, config);
        _pool = new ComputePool(options.Threads);
        try
        {
            var budget = new WeightCopyBudget(options.MaxWeightCopyBytes ?? WeightCopyBudget.Default());
            bool packs = options.PackWeights && PackedWeights.IsReadOn(KernelIsa.Active);
            _fused = options.FuseProjections ? new FusedProjectionWeights(bound, packs, options.CopyWeights, _pool, budget, source as IMappedTensorSource) : null;
            var fused = _fused?.Weights ?? bound;
            _packed = options.PackWeights ? new PackedModelWeights(fused, KernelIsa.Active, _pool, budget, source as IMappedTensorSource) : null;
            var packed = _packed?.Weights ?? fused;
            _resident = options.CopyWeights ? new ResidentModelWeights(packed, _pool, budget, source as IMappedTensorSource, _fused is { } f ? f.Holds : null) : null;
            Weights = _resident?.Weights ?? packed;
            Transformer = new LlamaTransformer(Weights, MaxContextLength, _pool, options.KvCacheType);
            Device = options.Device?.Invoke(this);
        }
        catch
        {
            _pool.Dispose();
            _fused?.Dispose();
            _packed?.Dispose();
            _resident?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a GGUF file, a Hugging Face model folder, or a llama2.c checkpoint (which needs
    /// <see cref="ModelLoadOptions.TokenizerPath"/>).
    /// </summary>
    public static LlamaModel Load(string path, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        if (Directory.Exists(path))
            return LoadFolder(path, options);
        if (!File.Exists(path))
            throw new FileNotFoundException($"model file '{path}' does not exist", path);
        var format = DetectFormat(path);
        ITensorSource? source = null;
        try
        {
            switch (format)
            {
                case ModelFileFormat.Gguf:
                {
                    var gguf = GgufFile.Open(path);
                    source = gguf;
                    var config = LlamaConfigReader.FromGguf(gguf);
                    var tokenizer = options.TokenizerPath is { } external
                        ? TokenizerFiles.Load(external)
                        : GgufTokenizer.FromMetadata(gguf);
                    var template = ChatTemplate.Detect(gguf.TryGetString("tokenizer.chat_template", out var jinja) ? jinja : null);
                    return new LlamaModel(path, format, gguf, config, tokenizer, template, options);
                }
                default:
                {
                    var checkpoint = Llama2cCheckpoint.Open(path);
                    source = checkpoint;
                    var tokenizerPath = options.TokenizerPath
                        ?? throw new ArgumentException($"'{path}' is a llama2.c checkpoint, which has no tokenizer inside: give a tokenizer file (tokenizer.bin or tokenizer.model)");
                    return new LlamaModel(path, format, checkpoint, checkpoint.Config, TokenizerFiles.Load(tokenizerPath), ChatTemplate.Plain, options);
                }
            }
        }
        catch
        {
            source?.Dispose();
            throw;
        }
    }

    private static LlamaModel LoadFolder(string folder, ModelLoadOptions options)
    {
        if (!HuggingFaceCheckpoint.IsModelFolder(folder))
            throw new FileNotFoundException(
                $"'{folder}' is a folder but not a Hugging Face model: it needs {HuggingFaceConfig.FileName} and {HuggingFaceCheckpoint.SingleFileName} or model.safetensors.index.json",
                System.IO.Path.Combine(folder, HuggingFaceConfig.FileName));
        var checkpoint = HuggingFaceCheckpoint.Open(folder);
        try
        {
            var tokenizer = options.TokenizerPath is { } external ? TokenizerFiles.Load(external) : HuggingFaceTokenizer.Load(folder);
            var template = ChatTemplate.Detect(HuggingFaceTokenizer.ReadChatTemplate(folder));
            return new LlamaModel(folder, ModelFileFormat.HuggingFace, checkpoint, checkpoint.Config, tokenizer, template, options);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>A folder is a Hugging Face model; a file is GGUF by its magic; anything else is tried as a llama2.c checkpoint, whose reader validates the header.</summary>
    public static ModelFileFormat DetectFormat(string path)
    {
        if (Directory.Exists(path))
            return ModelFileFormat.HuggingFace;
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        int read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        return read == 4 && magic.SequenceEqual("GGUF"u8) ? ModelFileFormat.Gguf : ModelFileFormat.Llama2c;
    }

    public string Path { get; }
    public ModelFileFormat Format { get; }
    public LlamaConfig Config { get; }
    public ITextTokenizer Tokenizer { get; }
    /// <summary>How chat messages become a prompt, recognised from the file's template (Plain when it has none).</summary>
    public ChatTemplate ChatTemplate { get; }
    public LlamaWeights Weights { get; }
    /// <summary>The tensors as the file stores them.</summary>
    public ITensorSource Tensors => _source;
    /// <summary>Longest context a session of this model may have.</summary>
    public int MaxContextLength { get; }
    public int Threads => _pool.ThreadCount;
    internal LlamaTransformer Transformer { get; }
    /// <summary>The device that runs the forward pass (see <see cref="ModelLoadOptions.Device"/>); null on the default CPU path.</summary>
    public IForwardDevice? Device { get; }

    /// <summary>A new conversation with its own KV cache of <paramref name="contextLength"/> tokens (default: the model's maximum).</summary>
    public InferenceSession CreateSession(int? contextLength = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int length = contextLength ?? MaxContextLength;
        if (length < 1 || length > MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a session's context must be between 1 and {MaxContextLength} tokens, got {length}");
        return new InferenceSession(this, length);
    }

    /// <summary>One forward step; sessions of this model take turns.</summary>
    internal float[] RunForward(InferenceState state, int token, int position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_forwardLock)
        {
            Transformer.Forward(state, token, position);
            return state.Buffers.Logits;
        }
    }

    /// <summary>A batch of prompt tokens in one pass; returns the logits after the last.</summary>
    internal float[] RunPrefill(InferenceState state, ReadOnlySpan<int> tokens, int position, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_forwardLock)
        {
            Transformer.Prefill(state, tokens, position, cancellationToken);
            return state.Buffers.Logits;
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        lock (_forwardLock)
        {
            _disposed = true;
            Device?.Dispose();
            _pool.Dispose();
            _fused?.Dispose();
            _packed?.Dispose();
            _resident?.Dispose();
            _source.Dispose();
        }
    }
}
