using System.CommandLine;
using FastInfer.Cli.Commands;

namespace FastInfer.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Generated text is UTF-8 whatever the terminal's locale says.
        Console.OutputEncoding = new System.Text.UTF8Encoding(false);
        var root = new RootCommand("fastinfer: run Llama, Mistral and Mixtral models on the CPU.");
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root.Parse(args).Invoke();
    }
}
