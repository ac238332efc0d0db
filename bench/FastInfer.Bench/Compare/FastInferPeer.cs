using System.Diagnostics;
using FastInfer.Engine;
using FastInfer.Engine.Models;
using FastInfer.Kernels.Isa;

namespace FastInfer.Bench.Compare;

/// <summary>FastInfer itself, driving the transformer directly (prefill for prompts, one forward per generated token).</summary>
public sealed class FastInferPeer(KvCacheType cacheType = KvCacheType.F32) : IPeer
{
    public string Name => "FastInfer";

    public IPeerEngine Load(string path, int threads, int contextLength) => new Engine(path, threads, contextLength, cacheType);

    private sealed class Engine : IPeerEngine
    {
        private readonly LlamaModel _model;
        private readonly InferenceState _state;
        private readonly long _rssBefore;

        private readonly KvCacheType _cacheType;

        public Engine(string path, int threads, int contextLength, KvCacheType cacheType)
        {
            _cacheType = cacheType;
            _rssBefore = Environment.WorkingSet;
            PeakMemory.Reset();
            var clock = Stopwatch.StartNew();
            _model = LlamaModel.Load(path, new ModelLoadOptions { Threads = threads, ContextLength = contextLength, KvCacheType = cacheType });
            _state = _model.Transformer.CreateState(contextLength);
            LoadSeconds = clock.Elapsed.TotalSeconds;
        }

        public string Settings => $"KV cache {_cacheType}, {KernelIsa.Active} kernels";
        public double LoadSeconds { get; }
        public long PeakBytes { get; private set; }

        public double PromptSeconds(int[] tokens)
        {
            long start = Stopwatch.GetTimestamp();
            _model.Transformer.Prefill(_state, tokens, 0);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        public double GenerateSeconds(int[] prompt, int[] tokens)
        {
            var transformer = _model.Transformer;
            transformer.Prefill(_state, prompt, 0);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < tokens.Length; i++)
                transformer.Forward(_state, tokens[i], prompt.Length + i);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        public void AfterWarmUp() => PeakBytes = PeakMemory.PeakBytes() - _rssBefore;

        public void Dispose() => _model.Dispose();
    }
}
