using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Models;
using FastInfer.Kernels;

namespace FastInfer.Engine.Formats.HuggingFace;

/// <summary>
/// A Hugging Face model folder (config.json plus model.safetensors, or shards listed in
/// model.safetensors.index.json) presented as an <see cref="ITensorSource"/> under GGUF names with ggml-ordered
/// dims, so <see cref="LlamaWeights.Bind"/> loads it like a GGUF file. Matrices are zero-copy views into the
/// mapped shards; only F16/BF16 norm vectors are copied, to F32 (see <see cref="NormVectorsF32"/>).
/// Every tensor must map to a model weight: an unknown name means a layout FastInfer would silently misread.
/// </summary>
public sealed class HuggingFaceCheckpoint : ITensorSource
{
    public const string SingleFileName = "model.safetensors";
    public const string TokenizerFileName = "tokenizer.json";

    private readonly SafetensorsFileSet _files;
    private readonly NormVectorsF32 _norms;
    private readonly Dictionary<string, TensorView> _byName;

    private HuggingFaceCheckpoint(string folder, HuggingFaceConfig config, SafetensorsFileSet files, NormVectorsF32 norms, List<TensorView> tensors)
    {
        Folder = folder;
        HuggingFaceConfig = config;
        _files = files;
        _norms = norms;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        string tokenizer = Path.Combine(folder, TokenizerFileName);
        TokenizerJsonPath = File.Exists(tokenizer) ? tokenizer : null;
    }

    public string Folder { get; }

    /// <summary>The model's hyperparameters (RoPE in the half-split layout HF checkpoints use).</summary>
    public LlamaConfig Config => HuggingFaceConfig.Model;

    /// <summary>config.json as read: architecture class and tied-embedding flag as well as the hyperparameters.</summary>
    public HuggingFaceConfig HuggingFaceConfig { get; }

    /// <summary>The folder's tokenizer.json, or null when it has none.</summary>
    public string? TokenizerJsonPath { get; }

    /// <summary>The safetensors files the tensors are mapped from.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files.Files;

    public IReadOnlyList<TensorView> Tensors { get; }

    public TensorView? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>True when <paramref name="path"/> is a folder laid out as <see cref="Open"/> expects (for format detection).</summary>
    public static bool IsModelFolder(string path) =>
        Directory.Exists(path) && File.Exists(Path.Combine(path, HuggingFaceConfig.FileName)) &&
        (File.Exists(Path.Combine(path, SingleFileName)) || File.Exists(Path.Combine(path, SafetensorsFileSet.IndexFileName)));

    public static HuggingFaceCheckpoint Open(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"model folder '{folder}' does not exist");
        folder = Path.GetFullPath(folder);
        var config = HuggingFaceConfig.Load(Path.Combine(folder, HuggingFaceConfig.FileName));
        var files = OpenFiles(folder);
        var norms = new NormVectorsF32();
        try
        {
            var tensors = MapTensors(folder, files, config, norms);
            return new HuggingFaceCheckpoint(folder, config, files, norms, tensors);
        }
        catch
        {
            norms.Dispose();
            files.Dispose();
            throw;
        }
    }

    private static SafetensorsFileSet OpenFiles(string folder)
    {
        string index = Path.Combine(folder, SafetensorsFileSet.IndexFileName);
        if (File.Exists(index))
            return SafetensorsFileSet.OpenIndex(index);
        string single = Path.Combine(folder, SingleFileName);
        if (File.Exists(single))
            return SafetensorsFileSet.OpenFiles([single]);
        throw new FileNotFoundException(
            $"model folder '{folder}' has neither {SingleFileName} nor {SafetensorsFileSet.IndexFileName}", single);
    }

    private static List<TensorView> MapTensors(string folder, SafetensorsFileSet files, HuggingFaceConfig config, NormVectorsF32 norms)
    {
        var model = config.Model;
        var tensors = new List<TensorView>(files.Entries.Count);
        bool hasOutput = false;
        foreach (var entry in files.Entries)
        {
            if (HuggingFaceTensorNames.IsDerivedBuffer(entry.Name))
                continue;
            string gguf = HuggingFaceTensorNames.ToGguf(entry.Name, model) ?? throw new HuggingFaceFormatException(entry.File.Path,
                $"tensor '{entry.Name}' has no counterpart in a {config.Architecture} with {model.BlockCount} layers" +
                (model.IsMixtureOfExperts ? $" and {model.ExpertCount} experts" : "") + " (quantized or adapter checkpoints are not supported)");
            if (gguf == "output.weight")
            {
                // transformers ignores a saved lm_head when the embeddings are tied, and so do we.
                if (config.TieWordEmbeddings)
                    continue;
                hasOutput = true;
            }
            var view = entry.View(gguf);
            if (gguf.EndsWith("_norm.weight", StringComparison.Ordinal) && view.Type is GgmlType.F16 or GgmlType.BF16)
                view = norms.Convert(view);
            tensors.Add(view);
        }
        // Without this check the binder would quietly reuse the embedding as the output head.
        if (!config.TieWordEmbeddings && !hasOutput)
            throw new HuggingFaceFormatException(folder, "tensor 'lm_head.weight' is missing and config.json does not set tie_word_embeddings");
        return tensors;
    }

    public void Dispose()
    {
        _norms.Dispose();
        _files.Dispose();
    }
}
