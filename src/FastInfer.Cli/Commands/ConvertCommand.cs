using System.CommandLine;
using System.Diagnostics;
using FastInfer.Engine.Conversion;

namespace FastInfer.Cli.Commands;

/// <summary>fastinfer convert: a Hugging Face folder or a llama2.c checkpoint to a GGUF file llama.cpp also loads.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Hugging Face model folder (config.json + safetensors) or llama2.c checkpoint" };
        var output = new Argument<string>("output") { Description = "GGUF file to write" };
        var type = new Option<string>("--type") { Description = "weight type: f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, q2_k, q3_k, q4_k, q5_k or q6_k (norms and the MoE router stay f32)", DefaultValueFactory = _ => "f32" };
        var tokenizer = new Option<string?>("--tokenizer", "-z") { Description = "tokenizer for a llama2.c checkpoint (tokenizer.bin or tokenizer.model)" };
        var command = new Command("convert", "Convert a Hugging Face folder or a llama2.c checkpoint to GGUF.") { input, output, type, tokenizer };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string path = parse.GetValue(output)!;
            var weightType = SynthCommand.ParseType(parse.GetValue(type)!);
            var clock = Stopwatch.StartNew();
            GgufConverter.Convert(parse.GetValue(input)!, path, new ConversionOptions { Type = weightType, TokenizerPath = parse.GetValue(tokenizer) });
            Console.Error.WriteLine($"wrote {path}: {weightType}, {new FileInfo(path).Length / 1048576.0:F1} MiB in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
