using System.Runtime.InteropServices;
using System.Text.Json;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels.Benchmarking;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Bench.Compare;

/// <summary>
/// <c>compare</c>: FastInfer against llama.cpp (LLamaSharp in-process, and node-llama-cpp's build in a Node process)
/// on the same GGUF files and thread counts: pp128, pp512, tg128 after a short prompt, load time and peak memory.
/// Within each repeat every test runs on every engine back to back, the engine order rotating, so machine noise
/// lands on all of them alike.
/// </summary>
public static class CompareCommand
{
    private const int ContextLength = 1024;
    private const int ShortPrompt = 8;
    private const int WarmUpRounds = 2;
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(200);
    private const double BandwidthSeconds = 0.3;

    public static int Run(IReadOnlyList<string> args)
    {
        CompareOptions options;
        try
        {
            options = CompareOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        if (KernelIsa.ActiveIsEmulated)
        {
            Console.Error.WriteLine($"the {KernelIsa.Active} kernel path is emulated on this {KernelIsa.Hardware} CPU ({KernelIsa.EmulatedAvx512Name}): "
                + "compare times FastInfer on the CPU's own instructions");
            return 2;
        }

        var peers = new List<IPeer> { new FastInferPeer(options.KvCacheType), new LlamaSharpPeer() };
        if (options.NodePeer)
        {
            if (NodeLlamaCppPeer.Find(out string reason) is { } node)
                peers.Add(node);
            else
                Console.Error.WriteLine($"node-llama-cpp peer skipped: {reason}");
        }

        var tests = options.PromptLengths.Select(n => $"pp{n}").Append($"tg{options.GenerateLength}").ToArray();
        var run = new CompareRun
        {
            Machine = $"{CpuName()}, {Environment.ProcessorCount} logical cores, {KernelIsa.Active} kernels, {RuntimeInformation.OSDescription}, .NET {Environment.Version}",
            Command = "dotnet run --project bench/FastInfer.Bench -c Release -- compare " + string.Join(' ', args),
            StartedUtc = DateTime.UtcNow,
            Repeats = options.Repeats,
            MinSampleSeconds = options.MinSampleSeconds,
        };

        var labels = options.Model is { } single ? [Path.GetFileNameWithoutExtension(single)] : ModelSet.Select(options).ToList();
        using var bandwidthPool = new ComputePool(options.Threads.Max());
        foreach (var label in labels)
        {
            ModelResult result;
            try
            {
                var model = options.Model is { } file ? new BenchModel(label, file) : ModelSet.Prepare(label, options.CacheDirectory, Log);
                result = new ModelResult { Label = model.Label, Path = model.Path, WeightBytesPerToken = BenchModel.WeightBytesPerToken(model.Path) };
                run.Models.Add(result);
                result.BandwidthBeforeGBs = Bandwidth(bandwidthPool);
                foreach (int threads in options.Threads)
                    MeasureModel(model, threads, peers, options, tests, result);
                result.BandwidthAfterGBs = Bandwidth(bandwidthPool);
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or ArgumentException)
            {
                Log($"{label}: {e.Message}");
                run.Models.Add(new ModelResult { Label = label, Path = "", Error = e.Message });
            }
        }

        string markdown = MarkdownReport.Render(run, tests);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (options.JsonPath is { } json)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(run, new JsonSerializerOptions { WriteIndented = true }));
            Log($"wrote {json}");
        }
        return 0;
    }

    private static void MeasureModel(BenchModel model, int threads, List<IPeer> peers, CompareOptions options, string[] tests, ModelResult result)
    {
        int vocabulary;
        using (var file = GgufFile.Open(model.Path))
            vocabulary = LlamaConfigReader.FromGguf(file).VocabularySize;
        var prompts = options.PromptLengths.Select(n => Tokens(n, vocabulary, 1)).ToArray();
        var shortPrompt = Tokens(ShortPrompt, vocabulary, 2);
        var generated = Tokens(options.GenerateLength, vocabulary, 3);

        var engines = new List<(EngineResult Result, IPeerEngine? Engine)>();
        try
        {
            foreach (var peer in peers)
            {
                var engineResult = new EngineResult { Engine = peer.Name, Threads = threads };
                result.Engines.Add(engineResult);
                try
                {
                    var engine = peer.Load(model.Path, threads, ContextLength);
                    engines.Add((engineResult, engine));
                    engineResult.Settings = engine.Settings;
                    engineResult.LoadSeconds = engine.LoadSeconds;
                    // Warm-up: page faults in the mapped weights, allocator pools, and .NET's JIT, which recompiles hot
                    // methods optimized only after they have run for a while (a single round of a small model is over
                    // before that, and its first timed prompt then ran partly unoptimized code).
                    var warmUp = System.Diagnostics.Stopwatch.StartNew();
                    for (int round = 0; round < WarmUpRounds || warmUp.Elapsed < WarmUpTime; round++)
                    {
                        engine.PromptSeconds(prompts[^1]);
                        engine.GenerateSeconds(shortPrompt, generated[..Math.Min(32, generated.Length)]);
                    }
                    engine.AfterWarmUp();
                    engineResult.PeakBytes = engine.PeakBytes;
                    Log($"{model.Label} t{threads} {peer.Name}: loaded in {engine.LoadSeconds:0.00} s ({engine.Settings})");
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    engineResult.Error = e.Message;
                    Log($"{model.Label} t{threads} {peer.Name}: {e.Message}");
                }
            }

            var running = engines.Where(e => e.Result.Error == null).ToList();
            for (int repeat = 0; repeat < options.Repeats; repeat++)
            {
                for (int test = 0; test < tests.Length; test++)
                {
                    for (int k = 0; k < running.Count; k++)
                    {
                        var (engineResult, engine) = running[(k + repeat) % running.Count];
                        if (engineResult.Error != null)
                            continue;
                        try
                        {
                            // Engines keep their threads polling for a while after a call (llama.cpp's ggml threads,
                            // FastInfer's pool for 1 ms); on 2 cores the engine timed next would share them with the last one.
                            Thread.Sleep(SettleTime);
                            var peerEngine = engine!;
                            int current = test;
                            double rate = current < prompts.Length
                                ? RepeatedCall.TokensPerSecond(() => peerEngine.PromptSeconds(prompts[current]), prompts[current].Length, options.MinSampleSeconds)
                                : RepeatedCall.TokensPerSecond(() => peerEngine.GenerateSeconds(shortPrompt, generated), generated.Length, options.MinSampleSeconds);
                            engineResult.For(tests[test]).Add(rate);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            engineResult.Error = e.Message;
                            Log($"{model.Label} t{threads} {engineResult.Engine} {tests[test]}: {e.Message}");
                        }
                    }
                }
            }
            foreach (var (engineResult, _) in running)
                Log($"{model.Label} t{threads} {engineResult.Engine}: " + string.Join(", ",
                    engineResult.TokensPerSecond.Select(kv => $"{kv.Key} {kv.Value.Median:0.#}")));
        }
        finally
        {
            foreach (var (_, engine) in engines)
                engine?.Dispose();
        }
    }

    /// <summary>Deterministic token ids spread over the vocabulary, away from the special tokens at its start.</summary>
    private static int[] Tokens(int count, int vocabulary, int stream)
    {
        var tokens = new int[count];
        int span = Math.Max(1, vocabulary - 3);
        for (int i = 0; i < count; i++)
            tokens[i] = 3 + (int)(((long)i * 7919 + stream * 104729) % span);
        return tokens;
    }

    private static double Bandwidth(ComputePool pool) => MachineLimits.Measure(pool, BandwidthSeconds).ReadBandwidthAllThreads;

    private static string CpuName()
    {
        const string path = "/proc/cpuinfo";
        var line = File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line?[(line.IndexOf(':') + 1)..].Trim() ?? RuntimeInformation.OSArchitecture.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");
}
