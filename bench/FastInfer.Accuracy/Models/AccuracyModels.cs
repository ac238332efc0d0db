using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;

namespace FastInfer.Accuracy.Models;

/// <summary>The synthetic models every oracle runs on, written with stories260K's vocabulary so real text tokenizes sensibly.</summary>
public static class AccuracyModels
{
    /// <summary>Dense Llama with 256-wide rows, so llama.cpp's K-quants (256-element blocks) apply to every matrix.</summary>
    public static SyntheticModelShape Dense { get; } =
        SyntheticModelShape.Parse("custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=512,ctx=256");

    /// <summary>The dense shape with a single decoder layer: one layer's math between embedding and head.</summary>
    public static SyntheticModelShape OneLayer { get; } = Dense with { Config = Dense.Config with { BlockCount = 1 } };

    /// <summary>A mixtral-mini-shaped mixture of experts, small enough for every oracle.</summary>
    public static SyntheticModelShape Moe { get; } =
        SyntheticModelShape.Parse("custom:dim=256,ffn=256,layers=2,heads=8,kv=4,vocab=512,ctx=256,experts=8,top=2,theta=1000000");

    /// <summary>Writes an F32 GGUF of <paramref name="shape"/> with the vocabulary of <paramref name="vocabularySource"/>.</summary>
    public static string WriteF32(SyntheticModelShape shape, string vocabularySource, string directory, string name, int seed = 7)
    {
        ModelVocabulary vocabulary;
        using (var source = GgufFile.Open(vocabularySource))
            vocabulary = ModelVocabulary.FromGguf(source);
        string path = Path.Combine(directory, name + "-f32.gguf");
        SyntheticModelWriter.Write(shape, GgmlType.F32, seed, path, vocabulary);
        return path;
    }

    /// <summary>Types of the tensors in a GGUF file with how many tensors have each, e.g. "Q4_K×9, Q6_K×3, F32×5".</summary>
    public static string TensorTypes(string path)
    {
        using var file = GgufFile.Open(path);
        return string.Join(", ", file.Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}"));
    }

    /// <summary>Whether any tensor of the GGUF file is stored as <paramref name="type"/>.</summary>
    public static bool Holds(string path, GgmlType type)
    {
        using var file = GgufFile.Open(path);
        return file.Tensors.Any(t => t.Type == type);
    }

    /// <summary>The first tensor whose type FastInfer cannot compute with, or null when every tensor is supported.</summary>
    public static string? UnsupportedTensor(string path)
    {
        using var file = GgufFile.Open(path);
        var bad = file.Tensors.FirstOrDefault(t => !GgmlTypeTraits.IsSupportedWeight(t.Type));
        return bad is null ? null : $"tensor '{bad.Name}' is {bad.Type}, which FastInfer's kernels do not compute";
    }
}
