using System.CommandLine;

namespace FastInfer.Cli.Commands;

/// <summary>Every subcommand of fastinfer, in the order --help lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return GenerateCommand.Create();
        yield return TokenizeCommand.Create();
        yield return InfoCommand.Create();
        yield return SynthCommand.Create();
        yield return ConvertCommand.Create();
        yield return BenchKernelsCommand.Create();
        yield return LpuCommand.Create();
        yield return PerplexityCommand.Create();
    }
}
