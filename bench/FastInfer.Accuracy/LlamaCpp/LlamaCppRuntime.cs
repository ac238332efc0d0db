using LLama.Native;

namespace FastInfer.Accuracy.LlamaCpp;

/// <summary>Configures llama.cpp's native library once, before it loads: only its errors reach stderr.</summary>
internal static class LlamaCppRuntime
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
                Console.Error.Write(message);
        });
        return true;
    });

    public static void EnsureConfigured() => _ = Configured.Value;
}
