using LLama.Native;

namespace FastInfer.Accuracy.LlamaCpp;

/// <summary>Configures llama.cpp's native library once: only its errors reach stderr, and the library is loaded before any direct native call.</summary>
internal static class LlamaCppRuntime
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
            {
                LastError = message.Trim();
                Console.Error.Write(message);
            }
        });
        // Loads the library through LLamaSharp's resolver; the quantizer's own P/Invoke would not find it otherwise.
        NativeApi.llama_empty_call();
        return true;
    });

    /// <summary>The last error llama.cpp logged: API calls that only return false explain themselves here.</summary>
    public static string? LastError { get; private set; }

    public static void EnsureConfigured() => _ = Configured.Value;
}
