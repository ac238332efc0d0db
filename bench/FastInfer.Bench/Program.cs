using BenchmarkDotNet.Running;
using FastInfer.Bench.Compare;

namespace FastInfer.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "compare")
            return CompareCommand.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
