using FastInfer.Accuracy.Models;
using FastInfer.Tests;

namespace FastInfer.Accuracy.Tests;

/// <summary>The committed text and the synthetic model files the tests share (written once per run, deleted when the test
/// process exits: each run left tens of megabytes behind before).</summary>
internal static class AccuracyData
{
    public static string Text { get; } = AccuracyText.Read();

    private static readonly Lazy<string> Directory = new(CreateDirectory);
    private static readonly Dictionary<string, string> Written = [];
    private static readonly Lock Gate = new();

    /// <summary>stories260K's path; skips the test when the shared model is absent.</summary>
    public static string Stories260K => TestModels.Require("stories260K.gguf");

    /// <summary>The dense synthetic model in F32, with stories260K's vocabulary.</summary>
    public static string DenseF32 => Once("dense", () => AccuracyModels.WriteF32(AccuracyModels.Dense, Stories260K, Directory.Value, "dense"));

    /// <summary>The dense synthetic model cut to one decoder layer.</summary>
    public static string OneLayerF32 => Once("one-layer", () => AccuracyModels.WriteF32(AccuracyModels.OneLayer, Stories260K, Directory.Value, "one-layer"));

    /// <summary>The mixture-of-experts synthetic model in F32.</summary>
    public static string MoeF32 => Once("moe", () => AccuracyModels.WriteF32(AccuracyModels.Moe, Stories260K, Directory.Value, "moe"));

    /// <summary><paramref name="source"/> quantized by llama.cpp, written once.</summary>
    public static string Quantized(string source, LlamaCpp.QuantizedFileType type) =>
        Once(source + type, () =>
        {
            string path = Path.Combine(Directory.Value, Path.GetFileNameWithoutExtension(source) + "-" + type + ".gguf");
            LlamaCpp.LlamaCppQuantizer.Quantize(source, path, type);
            return path;
        });

    /// <summary><paramref name="source"/> with its F16 tensors stored as F32 (see <see cref="F16Widening"/>), written once.</summary>
    public static string F16WidenedToF32(string source) =>
        Once(source + "+f32", () =>
        {
            string path = Path.Combine(Directory.Value, Path.GetFileNameWithoutExtension(source) + "-f16-as-f32.gguf");
            F16Widening.WidenToF32(source, path);
            return path;
        });

    private static string CreateDirectory()
    {
        string path = TestModels.TempDirectory("accuracy");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // A file still open at exit (a memory map the finalizers have not closed) leaves the folder for the OS.
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return path;
    }

    private static string Once(string key, Func<string> write)
    {
        lock (Gate)
        {
            if (!Written.TryGetValue(key, out var path))
                Written[key] = path = write();
            return path;
        }
    }
}
