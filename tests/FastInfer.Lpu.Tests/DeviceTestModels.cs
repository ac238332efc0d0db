using FastInfer.Engine;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Tests;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// Small synthetic GGUF models written once per test run into one scratch folder, which is removed when the test
/// process exits (the models stay mapped while tests run; Linux lets a mapped file be deleted).
/// </summary>
internal static class DeviceTestModels
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        string folder = TestModels.TempDirectory("lpu-device");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(folder);
        return folder;
    });
    private static readonly Lock Gate = new();

    /// <summary>A model of <paramref name="shape"/> ("custom:..." or a preset) with weights of <paramref name="type"/>.</summary>
    public static LlamaModel Load(string shape, GgmlType type, int seed = 7) =>
        LlamaModel.Load(PathOf(shape, type, seed), new ModelLoadOptions { Threads = 1 });

    /// <summary>The file of that model, written on first use.</summary>
    public static string PathOf(string shape, GgmlType type, int seed = 7)
    {
        lock (Gate)
        {
            string path = Path.Combine(Folder.Value, $"{type}-{seed}-{(uint)StableHash(shape)}.gguf");
            if (!File.Exists(path))
                SyntheticModelWriter.Write(SyntheticModelShape.Parse(shape), type, seed, path);
            return path;
        }
    }

    private static void Remove(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Another process still holds a file; the folder is scratch space under the temp directory.
        }
        catch (UnauthorizedAccessException)
        {
            // as above
        }
    }

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
            hash = hash * 31 + c;
        return hash;
    }
}
