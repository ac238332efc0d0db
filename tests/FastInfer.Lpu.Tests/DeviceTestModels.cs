using FastInfer.Engine;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;

namespace FastInfer.Lpu.Tests;

/// <summary>Small synthetic GGUF models written once per test run into the temp folder.</summary>
internal static class DeviceTestModels
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"fastinfer-lpu-tests-{Environment.ProcessId}");
    private static readonly Lock Gate = new();

    /// <summary>A model of <paramref name="shape"/> ("custom:..." or a preset) with weights of <paramref name="type"/>.</summary>
    public static LlamaModel Load(string shape, GgmlType type, int seed = 7)
    {
        string path;
        lock (Gate)
        {
            Directory.CreateDirectory(Folder);
            path = Path.Combine(Folder, $"{type}-{seed}-{(uint)StableHash(shape)}.gguf");
            if (!File.Exists(path))
                SyntheticModelWriter.Write(SyntheticModelShape.Parse(shape), type, seed, path);
        }
        return LlamaModel.Load(path, new ModelLoadOptions { Threads = 1 });
    }

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
            hash = hash * 31 + c;
        return hash;
    }
}
