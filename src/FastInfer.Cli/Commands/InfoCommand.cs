using System.CommandLine;
using FastInfer.Engine;
using FastInfer.Engine.Formats;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Formats.Llama2c;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using Spectre.Console;

namespace FastInfer.Cli.Commands;

/// <summary>fastinfer info: architecture, hyperparameters and the tensor table of a model file.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var command = new Command("info", "Show a model's architecture, hyperparameters and tensors.") { model };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string path = parse.GetValue(model)!;
            if (!File.Exists(path))
                throw new FileNotFoundException($"model file '{path}' does not exist", path);
            var format = LlamaModel.DetectFormat(path);
            using ITensorSource source = format == ModelFileFormat.Gguf ? GgufFile.Open(path) : Llama2cCheckpoint.Open(path);
            var config = source switch
            {
                GgufFile gguf => LlamaConfigReader.FromGguf(gguf),
                Llama2cCheckpoint checkpoint => checkpoint.Config,
                _ => throw new NotSupportedException(),
            };
            Print(path, format, source, config);
            return 0;
        }));
        return command;
    }

    private static void Print(string path, ModelFileFormat format, ITensorSource source, LlamaConfig config)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.WriteLine($"file:          {path}");
        console.WriteLine($"format:        {format}{(source is GgufFile g ? $" v{g.Version}" : "")}");
        console.WriteLine($"architecture:  {config.Architecture}{(config.IsMixtureOfExperts ? $" (mixture of {config.ExpertCount} experts, {config.ExpertUsedCount} per token)" : "")}");
        console.WriteLine($"embedding:     {config.EmbeddingLength}");
        console.WriteLine($"feed-forward:  {config.FeedForwardLength}");
        console.WriteLine($"blocks:        {config.BlockCount}");
        console.WriteLine($"heads:         {config.HeadCount} (KV heads {config.KvHeadCount}, head size {config.HeadDimension})");
        console.WriteLine($"vocabulary:    {config.VocabularySize}");
        console.WriteLine($"context:       {config.ContextLength}");
        console.WriteLine($"rope:          theta {config.RopeTheta}, {config.RotaryDimensions} dims, {config.RopeLayout}");
        console.WriteLine($"rms epsilon:   {config.RmsEpsilon}");
        if (config.SlidingWindow > 0)
            console.WriteLine($"sliding window: {config.SlidingWindow}");

        long totalElements = source.Tensors.Sum(t => t.ElementCount);
        long totalBytes = source.Tensors.Sum(t => t.ByteLength);
        long activeElements = ActiveParameters(source, config);
        console.WriteLine($"parameters:    {totalElements:N0} ({totalBytes / 1048576.0:F1} MiB)" +
            (config.IsMixtureOfExperts ? $", active per token {activeElements:N0}" : ""));
        var types = source.Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteLength))
            .Select(g => $"{g.Key} ×{g.Count()}");
        console.WriteLine($"tensor types:  {string.Join(", ", types)}");
        // What a session's cache takes: per position, and at the context a session gets by default (ModelLoadOptions).
        long single = KvCache.BytesPerPosition(config, KvCacheType.F32), half = KvCache.BytesPerPosition(config, KvCacheType.F16);
        int context = Math.Min(config.ContextLength, ModelLoadOptions.DefaultContextCap);
        console.WriteLine($"kv cache:      {single:N0} bytes per position in F32, {half:N0} in F16");
        console.WriteLine($"               {context * single / 1048576.0:F1} and {context * half / 1048576.0:F1} MiB at a {context}-token context");

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("name").AddColumn("type").AddColumn("shape").AddColumn(new TableColumn("bytes").RightAligned());
        foreach (var t in source.Tensors)
            table.AddRow(Markup.Escape(t.Name), t.Type.ToString(), Markup.Escape(t.ShapeText), t.ByteLength.ToString("N0"));
        console.Write(table);
    }

    /// <summary>Parameters one token touches: everything but the unselected experts.</summary>
    internal static long ActiveParameters(ITensorSource source, LlamaConfig config)
    {
        long total = 0;
        foreach (var t in source.Tensors)
        {
            bool isExpert = t.Name.Contains("_exps.") || System.Text.RegularExpressions.Regex.IsMatch(t.Name, @"\.ffn_(gate|up|down)\.\d+\.weight$");
            if (isExpert && config.ExpertCount > 0)
                total += t.ElementCount * config.ExpertUsedCount / config.ExpertCount;
            else
                total += t.ElementCount;
        }
        return total;
    }
}
