using System.CommandLine;
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
        return lpu;
    }

    /// <summary>Options both subcommands share; a shape comes from --config (a model file option joins here).</summary>
    private sealed class Common
    {
        public Option<string?> Config { get; } = new("--config") { Description = $"Named model: {string.Join(", ", LpuModelShapes.Names)}" };
        public Option<string> Spec { get; } = new("--spec") { Description = $"System: {string.Join(" or ", LpuSpecs.Names)}", DefaultValueFactory = _ => GroqChip1.Name };
        public Option<int?> Chips { get; } = new("--chips") { Description = "Chip count (default: 576 for groqchip1, the core count for this-cpu)" };
        public Option<string> Precision { get; } = new("--precision") { Description = "Weight precision of a named config: int8 or fp16", DefaultValueFactory = _ => "int8" };

        public void AddTo(Command command)
        {
            command.Options.Add(Config);
            command.Options.Add(Spec);
            command.Options.Add(Chips);
            command.Options.Add(Precision);
        }

        public LpuModelShape Shape(ParseResult result)
        {
            var config = result.GetValue(Config);
            if (string.IsNullOrWhiteSpace(config))
                throw new ArgumentException("name a model shape with --config");
            return LpuModelShapes.ByName(config, LpuPrecisions.Parse(result.GetValue(Precision) ?? "int8"));
        }

        public LpuProgram Compile(ParseResult result) =>
            LpuCompiler.Compile(Shape(result), LpuSpecs.ByName(result.GetValue(Spec) ?? GroqChip1.Name, result.GetValue(Chips)));
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

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }
}
