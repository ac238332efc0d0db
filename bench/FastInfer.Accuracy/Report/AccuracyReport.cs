using FastInfer.Accuracy.LlamaCpp;
using FastInfer.Accuracy.Models;
using FastInfer.Accuracy.Onnx;
using FastInfer.Accuracy.Torch;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;
using FastInfer.Engine.Synthesis;

namespace FastInfer.Accuracy.Report;

/// <summary>
/// Runs every available oracle over stories260K, a dense and a mixture-of-experts synthetic model (and
/// --model FILE) and prints one markdown table.
/// </summary>
/// <remarks>
/// Oracles: ONNX Runtime (the whole model as an ONNX graph, F32 weights or the file's weights dequantized), TorchSharp
/// (a plain-tensor-op Llama on the F32 file's weights, q/k back in the half-split layout) and llama.cpp (the same GGUF
/// files, quantized by llama.cpp itself).
/// </remarks>
public static class AccuracyReport
{
    private const int Positions = 128, GreedySteps = 256, PerplexityContext = 128;
    private static readonly QuantizedFileType[] QuantizedTypes = [QuantizedFileType.Q8_0, QuantizedFileType.Q4_0, QuantizedFileType.Q4_1, QuantizedFileType.Q5_1, QuantizedFileType.Q4_K_M];

    public static int Run(string[] args)
    {
        string? extra = null, stories = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model" when i + 1 < args.Length: extra = args[++i]; break;
                case "--stories260k" when i + 1 < args.Length: stories = args[++i]; break;
                default:
                    Console.Error.WriteLine("usage: FastInfer.Accuracy [--model FILE.gguf] [--stories260k FILE]");
                    return 2;
            }
        }
        stories ??= FindStories260K();
        string directory = Path.Combine(Path.GetTempPath(), "fastinfer-accuracy-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        try
        {
            var cases = new List<ModelCase>();
            if (stories is not null)
                cases.Add(new ModelCase("stories260K", stories, Quantize: true));
            else
                Console.Error.WriteLine("stories260K.gguf not found (give --stories260k FILE or set FASTINFER_TEST_MODELS); synthetic models use a made-up vocabulary");
            cases.Add(new ModelCase("synthetic dense", WriteSynthetic(AccuracyModels.Dense, stories, directory, "dense"), Quantize: true));
            cases.Add(new ModelCase("synthetic MoE", WriteSynthetic(AccuracyModels.Moe, stories, directory, "moe"), Quantize: true));
            if (extra is not null)
                cases.Add(new ModelCase(Path.GetFileName(extra), extra, Quantize: false));

            string text = AccuracyText.Read();
            var rows = new List<ReportRow>();
            foreach (var model in cases)
            {
                Console.Error.WriteLine($"comparing {model.Name} …");
                rows.AddRange(CompareModel(model, text, directory));
            }
            Console.Out.Write(MarkdownTable.Render(rows));
            Console.Out.WriteLine();
            Console.Out.WriteLine($"Logits over the first {Positions} tokens of the committed TinyStories-like text; greedy: {GreedySteps} steps " +
                $"(fewer when the context is shorter) after its first 8 tokens; perplexity: llama.cpp's definition, ctx {PerplexityContext}; " +
                "KL in nats, KL(oracle ‖ FastInfer); relative error = max|Δ| / max|oracle| per position. llama.cpp runs with an F32 KV cache and flash attention off.");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static IEnumerable<ReportRow> CompareModel(ModelCase model, string text, string directory)
    {
        string type;
        int[] tokens;
        float[] oursF32;
        using (var ours = LlamaModel.Load(model.Path, new ModelLoadOptions { Threads = Environment.ProcessorCount, ContextLength = Math.Min(Positions + GreedySteps, LlamaModelContext(model.Path)) }))
        {
            type = AccuracyModels.TensorTypes(model.Path).Split('×')[0];
            tokens = PerplexityEvaluator.Tokenize(ours, text);
            tokens = tokens[..Math.Min(tokens.Length, Math.Min(Positions, ours.MaxContextLength))];
            oursF32 = SequenceLogits.EvaluateAll(ours, tokens);
            var onnx = OnnxLlamaModel.Run(OnnxLlamaModel.Build(ours.Weights, tokens.Length), tokens);
            yield return new ReportRow("ONNX Runtime", model.Name, type) { Logits = Compare(onnx, oursF32, ours.Config.VocabularySize) };
            yield return TorchComparison.Compare(model.Name, type, model.Path, ours, tokens, oursF32, GreedySteps);
        }

        var f32Row = CompareWithLlamaCpp(model.Name, type, model.Path, tokens, text, null);
        yield return f32Row.Row;
        if (!model.Quantize)
            yield break;
        foreach (var quantType in QuantizedTypes)
        {
            string quantized = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(model.Path)}-{quantType}.gguf");
            string? refused = null;
            try
            {
                LlamaCppQuantizer.Quantize(model.Path, quantized, quantType, Environment.ProcessorCount);
            }
            catch (LlamaCppQuantizeException e)
            {
                refused = e.Message;
            }
            string? unsupported = refused is null ? AccuracyModels.UnsupportedTensor(quantized) : null;
            if (refused is not null || unsupported is not null)
            {
                yield return new ReportRow("llama.cpp", model.Name, quantType.ToString())
                {
                    Note = refused ?? $"llama.cpp's file holds {AccuracyModels.TensorTypes(quantized)}; {unsupported}",
                };
                continue;
            }
            yield return CompareWithLlamaCpp(model.Name, $"{quantType} ({AccuracyModels.TensorTypes(quantized)})", quantized, tokens, text, (oursF32, f32Row.TheirLogits)).Row;
            if (!AccuracyModels.Holds(quantized, Kernels.GgmlType.F16))
                continue;
            // ggml rounds activations to F16 before F16 weights, FastInfer does not: the same file without F16 shows the rest.
            string widened = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(quantized)}-f16-as-f32.gguf");
            F16Widening.WidenToF32(quantized, widened);
            yield return CompareWithLlamaCpp(model.Name, $"{quantType}, its F16 stored as F32 ({AccuracyModels.TensorTypes(widened)})", widened, tokens, text,
                (oursF32, f32Row.TheirLogits)).Row;
        }
    }

    /// <summary>Logits, greedy tokens and perplexity of one file against llama.cpp; with F32 logits given, also each engine's KL against its own F32 run.</summary>
    private static (ReportRow Row, float[] TheirLogits) CompareWithLlamaCpp(string name, string type, string path, int[] tokens, string text,
        (float[] Ours, float[] Theirs)? f32)
    {
        int context = Math.Min(LlamaModelContext(path), Math.Max(tokens.Length, 8 + GreedySteps));
        using var ours = LlamaModel.Load(path, new ModelLoadOptions { Threads = Environment.ProcessorCount, ContextLength = context });
        using var oracle = new LlamaCppOracle(path, context, Environment.ProcessorCount);
        int vocabulary = ours.Config.VocabularySize;
        var ourLogits = SequenceLogits.EvaluateAll(ours, tokens);
        var theirLogits = oracle.Logits(tokens);

        var prompt = tokens[..8];
        int steps = Math.Min(GreedySteps, context - prompt.Length);
        var greedy = GreedyAgreement.Compare(oracle.Greedy(prompt, steps), GreedyTokens.Generate(ours, prompt, steps));

        (double, double)? perplexity = null;
        var allTokens = PerplexityEvaluator.Tokenize(ours, text);
        if (allTokens.Length >= 2 * PerplexityContext && PerplexityContext <= context)
        {
            int? bos = ours.Tokenizer.AddBosByDefault ? ours.Tokenizer.BosId : null;
            perplexity = (PerplexityEvaluator.Evaluate(ours, allTokens, PerplexityContext).Perplexity,
                LlamaCppPerplexity.Evaluate(oracle, allTokens, PerplexityContext, 0, bos).Perplexity);
        }
        var row = new ReportRow("llama.cpp", name, type)
        {
            Logits = Compare(theirLogits, ourLogits, vocabulary),
            Greedy = greedy,
            Perplexity = perplexity,
            KlAgainstF32 = f32 is { } reference
                ? (Compare(reference.Ours, ourLogits, vocabulary).MeanKlDivergence, Compare(reference.Theirs, theirLogits, vocabulary).MeanKlDivergence)
                : null,
        };
        return (row, theirLogits);
    }

    private static LogitComparisonResult Compare(float[] reference, float[] candidate, int vocabulary)
    {
        var comparison = new LogitComparison();
        comparison.AddRows(reference, candidate, vocabulary);
        return comparison.Result;
    }

    private static int LlamaModelContext(string path)
    {
        using var file = Engine.Formats.Gguf.GgufFile.Open(path);
        return Math.Min(Engine.Formats.Gguf.LlamaConfigReader.FromGguf(file).ContextLength, ModelLoadOptions.DefaultContextCap);
    }

    private static string WriteSynthetic(SyntheticModelShape shape, string? vocabularySource, string directory, string name)
    {
        if (vocabularySource is not null)
            return AccuracyModels.WriteF32(shape, vocabularySource, directory, name);
        string path = Path.Combine(directory, name + "-f32.gguf");
        SyntheticModelWriter.Write(shape, Kernels.GgmlType.F32, 7, path);
        return path;
    }

    private static string? FindStories260K()
    {
        var folder = Environment.GetEnvironmentVariable("FASTINFER_TEST_MODELS");
        if (string.IsNullOrWhiteSpace(folder))
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FastInfer.sln")))
                {
                    folder = Path.Combine(dir.FullName, "..", "shared", "models");
                    break;
                }
            }
        }
        string? path = folder is null ? null : Path.Combine(folder, "stories260K.gguf");
        return path is not null && File.Exists(path) ? Path.GetFullPath(path) : null;
    }
}
