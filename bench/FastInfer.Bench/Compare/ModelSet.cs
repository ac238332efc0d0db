using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using LLama.Native;

namespace FastInfer.Bench.Compare;

/// <summary>
/// The models the comparison runs: synthetic Llama shapes written by <see cref="SyntheticModelWriter"/> in F32, Q8_0 and
/// Q4_0, Q4_K_M (and for tinyllama Q5_K_M, Q3_K_M, Q2_K, Q4_1 and Q5_1) made by llama.cpp's quantizer from our F32 file (output
/// matrix included, as llama-quantize does),
/// mixtral-mini, and the real stories260K. Files are written once into the cache directory and reused.
/// </summary>
public static class ModelSet
{
    private const int Seed = 7;

    /// <summary>Labels in the order they run; the quick set is the first.</summary>
    public static IReadOnlyList<string> Labels { get; } = BuildLabels();

    private static string[] BuildLabels()
    {
        var labels = new List<string> { "stories15M-Q4_0", "stories260K-F32" };
        foreach (var shape in new[] { "stories15M", "stories110M", "tinyllama-1.1b" })
        {
            foreach (var type in new[] { "F32", "Q8_0", "Q4_0", "Q4_K_M" })
            {
                if ($"{shape}-{type}" != "stories15M-Q4_0")
                    labels.Add($"{shape}-{type}");
            }
        }
        foreach (var fileType in new[] { "Q5_K_M", "Q3_K_M", "Q2_K", "Q4_1", "Q5_1" })
            labels.Add($"tinyllama-1.1b-{fileType}");
        labels.Add("mixtral-mini-Q4_0");
        return labels.ToArray();
    }

    /// <summary>The file types llama.cpp's quantizer makes from the F32 file: the K-quant mixes (its Q2_K file type mixes
    /// Q2_K, Q3_K and Q4_K too), Q4_1 and Q5_1 (with a Q6_K output matrix, as llama-quantize writes them).</summary>
    private static readonly Dictionary<string, LLamaFtype> LlamaCppFileTypes = new()
    {
        ["Q4_K_M"] = LLamaFtype.MOSTLY_Q4_K_M,
        ["Q5_K_M"] = LLamaFtype.MOSTLY_Q5_K_M,
        ["Q3_K_M"] = LLamaFtype.MOSTLY_Q3_K_M,
        ["Q2_K"] = LLamaFtype.MOSTLY_Q2_K,
        ["Q4_1"] = LLamaFtype.MOSTLY_Q4_1,
        ["Q5_1"] = LLamaFtype.MOSTLY_Q5_1,
    };

    public static IEnumerable<string> Select(CompareOptions options)
    {
        if (options.Quick && options.Only.Count == 0)
            return Labels.Take(1);
        return options.Only.Count == 0 ? Labels : Labels.Where(l => options.Only.Any(o => l.Contains(o, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>The file for <paramref name="label"/>, creating it in <paramref name="directory"/> if needed.</summary>
    public static BenchModel Prepare(string label, string directory, Action<string> log)
    {
        int dash = label.LastIndexOf('-');
        string shapeName = label[..dash], typeName = label[(dash + 1)..];
        if (shapeName == "stories260K")
            return new BenchModel(label, Stories260K());

        Directory.CreateDirectory(directory);
        var shape = SyntheticModelShape.Parse(shapeName);
        string path = System.IO.Path.Combine(directory, $"{label}.gguf");
        bool byLlamaCpp = LlamaCppFileTypes.TryGetValue(typeName, out var fileType);
        if (File.Exists(path) && !(byLlamaCpp && HasF32Output(path)))
            return new BenchModel(label, path);
        if (byLlamaCpp)
        {
            var f32 = Prepare($"{shapeName}-F32", directory, log);
            log($"quantizing {f32.Path} to {typeName} with llama.cpp");
            LlamaSharpPeer.Quantize(f32.Path, path + ".partial", fileType);
        }
        else
        {
            log($"writing synthetic {shapeName} {typeName} to {path}");
            SyntheticModelWriter.Write(shape, Enum.Parse<GgmlType>(typeName), Seed, path + ".partial");
        }
        File.Move(path + ".partial", path, overwrite: true);
        return new BenchModel(label, path);
    }

    /// <summary>
    /// Whether a cached llama.cpp-made file still has the F32 output matrix that files made before the quantizer was told to quantize it
    /// carry: such a file is made again.
    /// </summary>
    private static bool HasF32Output(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Find("output.weight") is { Type: GgmlType.F32 };
    }

    private static string Stories260K()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("FASTINFER_TEST_MODELS") is { Length: > 0 } shared)
            candidates.Add(System.IO.Path.Combine(shared, "stories260K.gguf"));
        candidates.Add("/work/shared/models/stories260K.gguf");
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("stories260K.gguf not found: set FASTINFER_TEST_MODELS to the folder that holds it, or pass -m FILE");
    }
}
