using LLama.Native;

namespace FastInfer.Oracles.Tests;

/// <summary>Loads llama.cpp's native library once per test run, with llama.cpp's log kept out of the test output.</summary>
internal static class LlamaCppRuntime
{
    private static readonly Lazy<bool> Loaded = new(() =>
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
                Console.Error.Write(message);
        });
        return true;
    });

    public static void EnsureLoaded() => _ = Loaded.Value;
}
