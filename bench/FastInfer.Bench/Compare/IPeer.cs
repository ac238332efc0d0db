namespace FastInfer.Bench.Compare;

/// <summary>An inference engine under comparison: it loads a GGUF at a given thread count.</summary>
public interface IPeer
{
    string Name { get; }

    /// <summary>Loads <paramref name="path"/>; the returned engine holds the model until disposed.</summary>
    IPeerEngine Load(string path, int threads, int contextLength);
}

/// <summary>One loaded model on one engine. Timings are wall-clock seconds of the engine's work only.</summary>
public interface IPeerEngine : IDisposable
{
    /// <summary>How the engine is configured where it matters for speed (KV cache type, attention path, build).</summary>
    string Settings { get; }
    double LoadSeconds { get; }
    /// <summary>Bytes the process's resident set grew by while loading and during the first runs.</summary>
    long PeakBytes { get; }

    /// <summary>Processes <paramref name="tokens"/> from position 0 on an empty cache (prompt processing).</summary>
    double PromptSeconds(int[] tokens);

    /// <summary>Processes <paramref name="prompt"/> (untimed), then times decoding <paramref name="tokens"/> one at a time.</summary>
    double GenerateSeconds(int[] prompt, int[] tokens);

    /// <summary>Called after the warm-up runs, so the engine can record its peak memory.</summary>
    void AfterWarmUp();
}
