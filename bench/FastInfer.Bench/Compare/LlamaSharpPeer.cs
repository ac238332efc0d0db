using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace FastInfer.Bench.Compare;

/// <summary>
/// llama.cpp as LLamaSharp 0.30.0 ships it (LLamaSharp.Backend.Cpu), in this process. Its own defaults for speed:
/// F16 KV cache and flash attention on "auto" (enabled on CPU).
/// </summary>
public sealed class LlamaSharpPeer : IPeer
{
    private static readonly Lazy<bool> Quiet = new(() =>
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
                Console.Error.Write(message);
        });
        return true;
    });

    public string Name => "llama.cpp (LLamaSharp)";

    public IPeerEngine Load(string path, int threads, int contextLength)
    {
        _ = Quiet.Value;
        return new Engine(path, threads, contextLength);
    }

    /// <summary>llama.cpp's quantizer (llama-quantize) run from our F32 file, e.g. to Q4_K_M.</summary>
    public static void Quantize(string source, string destination, LLamaFtype type)
    {
        _ = Quiet.Value;
        // The quantizer's P/Invoke lives outside NativeApi, whose static constructor installs the library resolver.
        NativeApi.llama_empty_call();
        // The output matrix too, as llama-quantize does by default (LLamaSharp's default leaves it F32): real Q4_K_M files
        // carry it in Q6_K, and at F32 it was 40% of a tinyllama Q2_K file's bytes.
        if (!LLamaQuantizer.Quantize(source, destination, type, nthread: Environment.ProcessorCount, quantizeOutputTensor: true))
            throw new InvalidOperationException($"llama.cpp could not quantize '{source}' to {type}");
    }

    private sealed class Engine : IPeerEngine
    {
        private readonly LLamaWeights _weights;
        private readonly LLamaContext _context;
        private readonly LLamaBatch _batch = new();
        private readonly long _rssBefore;

        public Engine(string path, int threads, int contextLength)
        {
            _rssBefore = Environment.WorkingSet;
            PeakMemory.Reset();
            var parameters = new ModelParams(path)
            {
                ContextSize = (uint)contextLength,
                BatchSize = (uint)contextLength,
                UBatchSize = 512,
                GpuLayerCount = 0,
                Threads = threads,
                BatchThreads = threads,
            };
            var clock = Stopwatch.StartNew();
            _weights = LLamaWeights.LoadFromFile(parameters);
            _context = _weights.CreateContext(parameters);
            LoadSeconds = clock.Elapsed.TotalSeconds;
        }

        public string Settings => "KV cache F16, flash attention auto (llama.cpp defaults)";
        public double LoadSeconds { get; }
        public long PeakBytes { get; private set; }

        public double PromptSeconds(int[] tokens)
        {
            _context.NativeHandle.MemoryClear(true);
            Fill(tokens, 0);
            long start = Stopwatch.GetTimestamp();
            Decode();
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        public double GenerateSeconds(int[] prompt, int[] tokens)
        {
            _context.NativeHandle.MemoryClear(true);
            Fill(prompt, 0);
            Decode();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < tokens.Length; i++)
            {
                _batch.Clear();
                _batch.Add(tokens[i], prompt.Length + i, LLamaSeqId.Zero, true);
                Decode();
            }
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        private void Fill(int[] tokens, int position)
        {
            _batch.Clear();
            for (int i = 0; i < tokens.Length; i++)
                _batch.Add(tokens[i], position + i, LLamaSeqId.Zero, i == tokens.Length - 1);
        }

        private void Decode()
        {
            var result = _context.Decode(_batch);
            if (result != DecodeResult.Ok)
                throw new InvalidOperationException($"llama.cpp decode failed: {result}");
        }

        public void AfterWarmUp() => PeakBytes = PeakMemory.PeakBytes() - _rssBefore;

        public void Dispose()
        {
            _context.Dispose();
            _weights.Dispose();
        }
    }
}
