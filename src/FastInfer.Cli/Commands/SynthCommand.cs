using System.CommandLine;
using System.Diagnostics;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;

namespace FastInfer.Cli.Commands;

/// <summary>fastinfer synth: a GGUF of a real model's shape with seeded random weights, for speed and memory tests.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = $"{string.Join(", ", SyntheticModelShape.Presets.Select(p => p.Name))}, or custom:dim=..,ffn=..,layers=..,heads=..,kv=..,vocab=..,ctx=..[,experts=..,top=..,window=..,theta=..]", Required = true };
        var type = new Option<string>("--type") { Description = "weight type: f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, q2_k, q3_k, q4_k, q5_k or q6_k (every matrix in that type)", DefaultValueFactory = _ => "f32" };
        var output = new Option<string>("--output", "-o") { Description = "GGUF file to write", Required = true };
        var seed = new Option<int>("--seed") { Description = "random seed; the same seed writes the same bytes", DefaultValueFactory = _ => 1 };
        var command = new Command("synth", "Write a synthetic model of a real shape with seeded random weights.") { shape, type, output, seed };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var modelShape = SyntheticModelShape.Parse(parse.GetValue(shape)!);
            var weightType = ParseType(parse.GetValue(type)!);
            string path = parse.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            SyntheticModelWriter.Write(modelShape, weightType, parse.GetValue(seed), path);
            Console.Error.WriteLine($"wrote {path}: {modelShape.Name}, {weightType}, {modelShape.ParameterCount:N0} parameters, " +
                $"{new FileInfo(path).Length / 1048576.0:F1} MiB in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    internal static GgmlType ParseType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        "q8_0" => GgmlType.Q8_0,
        "q5_1" => GgmlType.Q5_1,
        "q5_0" => GgmlType.Q5_0,
        "q4_1" => GgmlType.Q4_1,
        "q4_0" => GgmlType.Q4_0,
        "q2_k" => GgmlType.Q2_K,
        "q3_k" => GgmlType.Q3_K,
        "q4_k" or "q4_k_m" => GgmlType.Q4_K,
        "q5_k" => GgmlType.Q5_K,
        "q6_k" => GgmlType.Q6_K,
        _ => throw new ArgumentException($"unknown weight type '{text}': expected f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, q2_k, q3_k, q4_k, q5_k or q6_k"),
    };
}
