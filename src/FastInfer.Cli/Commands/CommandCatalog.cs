using System.CommandLine;

namespace FastInfer.Cli.Commands;

/// <summary>Every subcommand of fastinfer, in the order --help lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return LpuCommand.Create();
        yield break;
    }
}
