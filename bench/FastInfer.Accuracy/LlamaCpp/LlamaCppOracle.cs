using LLama;
using LLama.Common;
using LLama.Native;

namespace FastInfer.Accuracy.LlamaCpp;

/// <summary>
/// llama.cpp (through LLamaSharp) as a reference engine: full-vocabulary logits at every position of a
/// sequence, greedy generation, and its tokenizer. Its KV cache is F32 and flash attention is off, because
/// llama.cpp's CPU flash path rounds through F16 and would measure llama.cpp's shortcut, not our error.
/// </summary>
public sealed class LlamaCppOracle : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly ModelParams _parameters;

    public LlamaCppOracle(string modelPath, int contextLength, int threads = 1)
    {
        LlamaCppRuntime.EnsureConfigured();
        _parameters = new ModelParams(modelPath)
        {
            ContextSize = (uint)contextLength,
            BatchSize = (uint)contextLength,
            UBatchSize = (uint)contextLength,
            GpuLayerCount = 0,
            Threads = threads,
            BatchThreads = threads,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        _weights = LLamaWeights.LoadFromFile(_parameters);
        VocabularySize = _weights.Vocab.Count;
        ContextLength = contextLength;
    }

    public int VocabularySize { get; }
    public int ContextLength { get; }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/> (as common_tokenize with add_special).</summary>
    public int[] Tokenize(string text, bool addBos) =>
        _weights.NativeHandle.Tokenize(text, addBos, special: false, System.Text.Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions 0… in a fresh cache, as one batch, and returns the logits of
    /// every position from <paramref name="firstOutput"/> on, row after row.
    /// </summary>
    public float[] Logits(ReadOnlySpan<int> tokens, int firstOutput = 0)
    {
        if (tokens.Length > ContextLength)
            throw new ArgumentException($"{tokens.Length} tokens exceed the oracle's context of {ContextLength}");
        using var context = _weights.CreateContext(_parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Length; i++)
            batch.Add(tokens[i], i, LLamaSeqId.Zero, i >= firstOutput);
        var status = context.Decode(batch);
        if (status != DecodeResult.Ok)
            throw new InvalidOperationException($"llama.cpp failed to decode {tokens.Length} tokens: {status}");
        var all = new float[(long)(tokens.Length - firstOutput) * VocabularySize];
        for (int i = firstOutput; i < tokens.Length; i++)
            context.NativeHandle.GetLogitsIth(i).CopyTo(all.AsSpan((i - firstOutput) * VocabularySize, VocabularySize));
        return all;
    }

    /// <summary>Greedy continuation: the prompt in one batch, then one token at a time, argmax each step.</summary>
    public int[] Greedy(ReadOnlySpan<int> prompt, int steps)
    {
        if (prompt.Length + steps > ContextLength)
            throw new ArgumentException($"{prompt.Length} prompt tokens and {steps} steps exceed the oracle's context of {ContextLength}");
        using var context = _weights.CreateContext(_parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++)
            batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        Decode(context, batch);
        var generated = new int[steps];
        int position = prompt.Length;
        for (int step = 0; step < steps; step++)
        {
            var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
            generated[step] = Engine.Evaluation.Distributions.ArgMax(logits);
            batch.Clear();
            batch.Add(generated[step], position++, LLamaSeqId.Zero, true);
            Decode(context, batch);
        }
        return generated;
    }

    private static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var status = context.Decode(batch);
        if (status != DecodeResult.Ok)
            throw new InvalidOperationException($"llama.cpp failed to decode: {status}");
    }

    public void Dispose() => _weights.Dispose();
}
