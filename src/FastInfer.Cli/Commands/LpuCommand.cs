using System.CommandLine;
using FastInfer.Engine;
using FastInfer.Engine.Models;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Reporting;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Cli.Commands;

/// <summary><c>fastinfer lpu simulate|plan</c>: compile a model shape for an LPU system and time it.</summary>
internal static class LpuCommand
{
    /// <summary>Exit code when the model does not fit the chips.</summary>
    public const int DoesNotFit = 2;

    public static Command Create()
    {
        var lpu = new Command("lpu", "Groq-LPU-style static-schedule device: place a model in on-chip SRAM and simulate it.");
        lpu.Subcommands.Add(Simulate());
        lpu.Subcommands.Add(Plan());
        lpu.Subcommands.Add(Calibrate());
        return lpu;
    }

    /// <summary>The <see cref="ModelLoadOptions.Device"/> for <c>generate --device</c>: null for cpu.</summary>
    public static Func<LlamaModel, IForwardDevice>? DeviceFactory(string? device, int? chips)
    {
        if (chips is < 1)
            throw new ArgumentException($"--chips must be at least 1, got {chips}");
        return (device ?? "cpu").Trim().ToLowerInvariant() switch
        {
            "cpu" => chips is null ? null : throw new ArgumentException("--chips needs --device lpu"),
            "lpu" => LpuDevice.Factory(chips),
            _ => throw new ArgumentException($"unknown device '{device}': expected cpu or lpu"),
        };
    }

    /// <summary>One stderr line saying how the model was laid out on the Lpu device (nothing for the CPU path).</summary>
    public static void DescribeDevice(LlamaModel model)
    {
        if (model.Device is LpuDevice lpu)
            Console.Error.WriteLine($"lpu: {lpu.Program.Stages.Count} pipeline stages x {lpu.Program.StageWidth} chips = {lpu.Chips} chips of {lpu.Program.Spec.Name}");
    }

    /// <summary>Options both subcommands share; a shape comes from --config or from a model file (--model).</summary>
    private sealed class Common
    {
        public Option<string?> Config { get; } = new("--config") { Description = $"Named model: {string.Join(", ", LpuModelShapes.Names)}" };
        public Option<string?> Model { get; } = new("--model", "-m") { Description = "Model file (GGUF or llama2.c): shapes from its hyperparameters, bytes per weight from its tensors" };
        public Option<string> Spec { get; } = new("--spec") { Description = $"System: {string.Join(" or ", LpuSpecs.Names)}", DefaultValueFactory = _ => GroqChip1.Name };
        public Option<int?> Chips { get; } = new("--chips") { Description = "Chip count (default: 576 for groqchip1, the core count for this-cpu)" };
        public Option<string> Precision { get; } = new("--precision") { Description = "Weight precision of a named config: int8 or fp16", DefaultValueFactory = _ => "int8" };

        public void AddTo(Command command)
        {
            command.Options.Add(Config);
            command.Options.Add(Model);
            command.Options.Add(Spec);
            command.Options.Add(Chips);
            command.Options.Add(Precision);
        }

        public LpuModelShape Shape(ParseResult result)
        {
            var config = result.GetValue(Config);
            var file = result.GetValue(Model);
            if (!string.IsNullOrWhiteSpace(file))
            {
                if (!string.IsNullOrWhiteSpace(config))
                    throw new ArgumentException("give either --config or --model, not both");
                return ModelShapeReader.FromFile(file);
            }
            if (string.IsNullOrWhiteSpace(config))
                throw new ArgumentException("name a model shape with --config or a model file with --model");
            return LpuModelShapes.ByName(config, LpuPrecisions.Parse(result.GetValue(Precision) ?? "int8"));
        }

        public LpuProgram Compile(ParseResult result)
        {
            var shape = Shape(result);
            string spec = result.GetValue(Spec) ?? GroqChip1.Name;
            int? chips = result.GetValue(Chips);
            // On this machine a model larger than the caches streams from DRAM, exactly as the CPU device runs it.
            return LpuCompiler.Compile(shape, string.Equals(spec.Trim(), ThisCpu.Name, StringComparison.OrdinalIgnoreCase)
                ? ThisCpu.DeviceSpec(shape, chips ?? Environment.ProcessorCount)
                : LpuSpecs.ByName(spec, chips));
        }
    }

    private static Command Simulate()
    {
        var command = new Command("simulate", "Time per token, tokens/s per user and time to first token on an LPU system.");
        var common = new Common();
        common.AddTo(command);
        var prompt = new Option<int?>("--prompt-tokens") { Description = $"Prompt length for the time to first token; decode is timed at this position (default {LpuCompiler.DefaultReferencePosition}, or the context if shorter)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        command.Options.Add(prompt);
        command.Options.Add(json);
        command.SetAction(result => Run(() =>
        {
            var program = common.Compile(result);
            bool asJson = result.GetValue(json);
            if (!program.Fits)
            {
                if (asJson)
                    Console.WriteLine(LpuReport.SimulationJson(program, null));
                Console.Error.WriteLine(new LpuCapacityException(program.Shape, program.Spec, program.ChipsNeeded).Message);
                return DoesNotFit;
            }
            int promptTokens = result.GetValue(prompt) ?? Math.Min(LpuCompiler.DefaultReferencePosition, program.Shape.Context - 1);
            var simulation = LpuSimulator.Run(program, promptTokens);
            Console.Write(asJson ? LpuReport.SimulationJson(program, simulation) + Environment.NewLine : LpuReport.SimulationText(program, simulation));
            return 0;
        }));
        return command;
    }

    private static Command Plan()
    {
        var command = new Command("plan", "Where every weight tile lives (SRAM used per chip) and a summary of the schedules.");
        var common = new Common();
        common.AddTo(command);
        command.SetAction(result => Run(() =>
        {
            var program = common.Compile(result);
            Console.Write(LpuReport.PlanText(program));
            return program.Fits ? 0 : DoesNotFit;
        }));
        return command;
    }

    private static Command Calibrate()
    {
        var command = new Command("calibrate", "Simulator prediction vs measured tok/s of the CPU Lpu device (--device lpu) for each model.");
        var models = new Option<string[]>("--model", "-m") { Description = "Model files (GGUF); repeat for several", Required = true, AllowMultipleArgumentsPerToken = true };
        var chips = new Option<int?>("--chips") { Description = "Chips (cores) to compile for (default: all cores)" };
        var tokens = new Option<int>("--tokens", "-n") { Description = "Greedy decode tokens per measurement", DefaultValueFactory = _ => DeviceBenchmark.DefaultTokens };
        var repeats = new Option<int>("--repeat") { Description = "Measured runs per model, each after a fresh probe and a warm-up until the JIT is quiet; runs whose threads lost their cores are made up (at most 3x); the medians are compared", DefaultValueFactory = _ => 5 };
        command.Options.Add(models);
        command.Options.Add(chips);
        command.Options.Add(tokens);
        command.Options.Add(repeats);
        command.SetAction(result => Run(() =>
        {
            Console.WriteLine(LpuReport.CalibrationHeader);
            foreach (var path in result.GetValue(models) ?? [])
                Console.WriteLine(LpuReport.CalibrationRow(DeviceBenchmark.Run(path, result.GetValue(chips), result.GetValue(tokens), result.GetValue(repeats))));
            return 0;
        }));
        return command;
    }

    private static int Run(Func<int> action) => CliErrors.Run(action);
}
