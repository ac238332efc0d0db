using System.CommandLine;
using System.Diagnostics;
using FastInfer.Engine;
using FastInfer.Engine.Generation;
using FastInfer.Engine.Sampling;

namespace FastInfer.Cli.Commands;

/// <summary>
/// fastinfer generate: stdout carries exactly the prompt followed by the generated text (as llama2.c
/// prints it) so it can be piped and compared; timings go to stderr.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var tokenizer = new Option<string?>("--tokenizer", "-z") { Description = "tokenizer file for a llama2.c checkpoint (tokenizer.bin or tokenizer.model)" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "text to continue", DefaultValueFactory = _ => "" };
        var steps = new Option<int>("--n-predict", "-n") { Description = "new tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temp") { Description = "temperature; 0 is greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling threshold (1: off)", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "drop tokens below min-p × the best (0: off)", DefaultValueFactory = _ => 0.05f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "penalty for recently seen tokens (1: off)", DefaultValueFactory = _ => 1.0f };
        var seed = new Option<ulong?>("--seed", "-s") { Description = "random seed (default: random, printed to stderr)" };
        var context = new Option<int?>("--ctx-size", "-c") { Description = "context length (default: the model's, at most 4096)" };
        var stop = new Option<string[]>("--stop") { Description = "stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };
        var threads = CommonOptions.Threads();
        var isa = CommonOptions.Isa();
        var kvType = CommonOptions.KvType();
        var device = new Option<string>("--device") { Description = "cpu (the Engine's forward pass) or lpu (the static-schedule Lpu device, one thread per chip)", DefaultValueFactory = _ => "cpu" };
        var chips = new Option<int?>("--chips") { Description = "with --device lpu: chips (cores) to compile for (default: all cores)" };

        var command = new Command("generate", "Generate text from a prompt.")
        {
            model, tokenizer, prompt, steps, temperature, topK, topP, minP, repeatPenalty, seed, context, stop, threads, isa,
        };
        command.Options.Add(kvType);
        command.Options.Add(device);
        command.Options.Add(chips);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliErrors.Run(() =>
        {
            CommonOptions.ApplyIsa(parse.GetValue(isa));
            var loadClock = Stopwatch.StartNew();
            using var llm = LlamaModel.Load(parse.GetValue(model)!, new ModelLoadOptions
            {
                Threads = parse.GetValue(threads),
                ContextLength = parse.GetValue(context),
                TokenizerPath = parse.GetValue(tokenizer),
                KvCacheType = parse.GetValue(kvType),
                Device = LpuCommand.DeviceFactory(parse.GetValue(device), parse.GetValue(chips)),
            });
            var loadTime = loadClock.Elapsed;
            LpuCommand.DescribeDevice(llm);
            var sampling = new SamplingSettings
            {
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                MinP = parse.GetValue(minP),
                RepeatPenalty = parse.GetValue(repeatPenalty),
                Seed = parse.GetValue(seed),
            };
            var settings = new GenerationSettings
            {
                MaxTokens = parse.GetValue(steps),
                Sampling = sampling,
                StopStrings = parse.GetValue(stop) ?? [],
            };
            using var session = llm.CreateSession();
            string promptText = parse.GetValue(prompt) ?? "";

            var stdout = Console.Out;
            var pieces = session.Generate(promptText, settings, cancellationToken);
            stdout.Write(promptText);
            foreach (var piece in pieces)
            {
                stdout.Write(piece);
                stdout.Flush();
            }
            stdout.WriteLine();

            var stats = session.LastStats!;
            Console.Error.WriteLine(
                $"load {loadTime.TotalMilliseconds:F0} ms | prompt {stats.PromptTokens} tokens in {stats.PromptTime.TotalSeconds:F2} s ({Rate(stats.PromptTokensPerSecond)} tok/s) | " +
                $"generated {stats.GeneratedTokens} tokens in {stats.GenerationTime.TotalSeconds:F2} s ({Rate(stats.GenerationTokensPerSecond)} tok/s) | stop: {stats.StopReason} | " +
                $"threads {llm.Threads} | {(sampling.Temperature > 0 ? $"seed {stats.Seed}" : "greedy")} | " +
                $"working set {Environment.WorkingSet / (1024 * 1024)} MiB, peak {ProcessMemory.PeakWorkingSetText()}");
            return 0;
        })));
        return command;
    }

    /// <summary>One decimal for ordinary speeds; three significant digits for the slow ones a model larger than RAM gives.</summary>
    private static string Rate(double tokensPerSecond) =>
        tokensPerSecond >= 10 || tokensPerSecond == 0 ? tokensPerSecond.ToString("F1") : tokensPerSecond.ToString("G3");
}
