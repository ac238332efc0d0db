using LLama;
using LLama.Common;
using LLama.Native;

namespace FastInfer.Oracles.Tests.Mixtral;

/// <summary>
/// llama.cpp evaluating one token at a time and handing back the full logits, configured as an exact oracle:
/// F32 KV cache and flash attention off (its CPU flash path computes in F16 and moves logits by ~1e-2).
/// </summary>
internal sealed class LlamaCppSession : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private int _position;

    public LlamaCppSession(string path, int contextSize = 128)
    {
        LlamaCppRuntime.EnsureLoaded();
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)contextSize,
            GpuLayerCount = 0,
            Threads = 2,
            BatchSize = (uint)contextSize,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    public LLamaWeights Weights => _weights;

    /// <summary>Evaluates <paramref name="token"/> at the next position and returns a copy of its logits.</summary>
    public float[] Next(int token)
    {
        var batch = new LLamaBatch();
        batch.Add(token, _position++, LLamaSeqId.Zero, true);
        var result = _context.Decode(batch);
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama.cpp decode failed: {result}");
        return _context.NativeHandle.GetLogitsIth(0).ToArray();
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
