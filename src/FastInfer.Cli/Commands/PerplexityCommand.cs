using System.CommandLine;
using System.Globalization;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;

namespace FastInfer.Cli.Commands;

/// <summary>
/// fastinfer perplexity: llama.cpp's llama-perplexity measure on a text file, printed the same way
/// ("[1]12.3456,[2]…" then "Final estimate: PPL = … +/- …") so the two can be compared line by line.
/// </summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var file = new Option<string>("--file", "-f") { Description = "text file to score", Required = true };
        var context = new Option<int>("--ctx", "-c") { Description = "tokens per chunk", DefaultValueFactory = _ => 512 };
        var stride = new Option<int>("--stride") { Description = "llama.cpp's --ppl-stride: windows every N tokens (default 0: non-overlapping chunks)" };
        var threads = CommonOptions.Threads();
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer file for llama2.c checkpoints" };
        var kvType = CommonOptions.KvType();
        var command = new Command("perplexity", "Perplexity of a model on a text, as llama.cpp's llama-perplexity computes it.")
            { model, file, context, stride, threads, tokenizer, kvType };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliErrors.Run(() =>
        {
            string textPath = parse.GetValue(file)!;
            if (!File.Exists(textPath))
                throw new FileNotFoundException($"text file '{textPath}' does not exist", textPath);
            int ctx = parse.GetValue(context);
            if (ctx < 4)
                throw new ArgumentException($"--ctx must be at least 4, got {ctx}");
            using var loaded = LlamaModel.Load(parse.GetValue(model)!, new ModelLoadOptions
            {
                Threads = parse.GetValue(threads),
                ContextLength = ctx,
                TokenizerPath = parse.GetValue(tokenizer),
                KvCacheType = parse.GetValue(kvType),
            });
            var tokens = PerplexityEvaluator.Tokenize(loaded, File.ReadAllText(textPath));
            Console.Out.WriteLine($"perplexity: {tokens.Length} tokens, n_ctx={ctx}, stride={parse.GetValue(stride)}");
            var result = PerplexityEvaluator.Evaluate(loaded, tokens, ctx, parse.GetValue(stride),
                (chunk, running) =>
                {
                    Console.Out.Write(string.Create(CultureInfo.InvariantCulture, $"[{chunk.Index + 1}]{running:F4},"));
                    Console.Out.Flush();
                }, cancellationToken);
            Console.Out.WriteLine();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Final estimate: PPL = {result.Perplexity:F4} +/- {result.Uncertainty:F5} ({result.Chunks} chunks, {result.Predictions} predictions)"));
            return 0;
        })));
        return command;
    }
}
