using System.CommandLine;
using System.Globalization;
using FastInfer.Kernels.Benchmarking;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;
using Spectre.Console;

namespace FastInfer.Cli.Commands;

/// <summary><c>fastinfer bench-kernels</c>: this machine's limits and every kernel's throughput against them.</summary>
internal static class BenchKernelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var threads = new Option<int>("--threads", "-t")
        {
            Description = "Threads for the multi-threaded measurements (default: every core).",
            DefaultValueFactory = _ => ComputePool.DefaultThreadCount,
        };
        var seconds = new Option<double>("--seconds", "-s")
        {
            Description = "Time budget of each measurement in seconds (about 20 measurements).",
            DefaultValueFactory = _ => 0.5,
        };
        var command = new Command("bench-kernels", "Measure memory bandwidth, FMA and int8 peaks, then each kernel's throughput against them.");
        command.Options.Add(json);
        command.Options.Add(threads);
        command.Options.Add(seconds);
        command.SetAction(parseResult =>
        {
            int threadCount = parseResult.GetValue(threads);
            double budget = parseResult.GetValue(seconds);
            if (threadCount < 1 || threadCount > 1024)
            {
                Console.Error.WriteLine($"error: --threads {threadCount} must be between 1 and 1024");
                return 2;
            }
            if (!(budget > 0) || budget > 60)
            {
                Console.Error.WriteLine($"error: --seconds {budget} must be in (0, 60]");
                return 2;
            }
            if (KernelIsa.ActiveIsEmulated)
            {
                Console.Error.WriteLine($"error: the {KernelIsa.Active} path is emulated on this {KernelIsa.Hardware} CPU ({KernelIsa.EmulatedAvx512Name}); "
                    + "bench-kernels measures kernels on the CPU's own instructions");
                return 2;
            }
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(BenchKernels.Run(threadCount, budget).ToJson());
                return 0;
            }
            // Redirected output has no terminal width; do not squeeze the tables into Spectre's 80-column default.
            if (Console.IsOutputRedirected)
                AnsiConsole.Profile.Width = 160;
            var report = BenchKernels.Run(threadCount, budget, step => AnsiConsole.MarkupLine($"[grey]measuring {Markup.Escape(step)}…[/]"));
            Render(report);
            return 0;
        });
        return command;
    }

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"FP32 FMA (Vector256)": the chains the FP32 peak timed, at the kernel path's width.</summary>
    private static string Fp32Label(MachineLimits m) => m.Fp32FmaVectorBits == 0
        ? "FP32 FMA (not measured on the scalar path)"
        : $"FP32 {(m.Fp32FmaFused ? "FMA" : "mul+add")} (Vector{m.Fp32FmaVectorBits})";

    private static void Render(BenchKernelsReport report)
    {
        var m = report.Machine;
        var limits = new Table().Title($"Machine limits ({m.Threads} threads, kernel path {report.Isa})")
            .AddColumn("limit").AddColumn(new TableColumn("1 thread").RightAligned()).AddColumn(new TableColumn($"{m.Threads} threads").RightAligned());
        limits.AddRow("memory read (1 GiB), GB/s", Number(m.ReadBandwidthOneThread, "F1"), Number(m.ReadBandwidthAllThreads, "F1"));
        limits.AddRow($"{Fp32Label(m)}, GFLOP/s", Number(m.Fp32FmaGflopsPerThread, "F1"), Number(m.Fp32FmaGflopsAllThreads, "F1"));
        limits.AddRow("int8 vpdpbusd (256-bit), GOP/s", Number(m.Int8VnniGopsPerThread, "F1"), Number(m.Int8VnniGopsAllThreads, "F1"));
        limits.AddRow("int8 maddubs+add16 (256-bit), GOP/s", Number(m.Int8Avx2GopsPerThread, "F1"), Number(m.Int8Avx2GopsAllThreads, "F1"));
        limits.AddRow("int8 maddubs+add16 (512-bit), GOP/s", Number(m.Int8Avx512BwGopsPerThread, "F1"), Number(m.Int8Avx512BwGopsAllThreads, "F1"));
        AnsiConsole.Write(limits);
        foreach (var warning in report.Warnings)
            AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");

        var kernels = new Table().Title("Kernels")
            .AddColumn("kernel").AddColumn("shape").AddColumn(new TableColumn("threads").RightAligned())
            .AddColumn(new TableColumn("µs/call").RightAligned()).AddColumn(new TableColumn("GB/s").RightAligned())
            .AddColumn(new TableColumn("GFLOP/s").RightAligned()).AddColumn("limit (value)").AddColumn(new TableColumn("of limit").RightAligned());
        foreach (var k in report.Kernels)
        {
            kernels.AddRow(Markup.Escape(k.Name), Markup.Escape(k.Shape), k.Threads.ToString(CultureInfo.InvariantCulture),
                Number(k.MicrosecondsPerCall, "F2"),
                k.GigabytesPerSecond is { } gb ? Number(gb, "F1") : "",
                k.GigaflopsPerSecond is { } gf ? Number(gf, "F1") : "",
                k.LimitValue is { } limit ? $"{k.Limit} ({Number(limit, "F1")})" : k.Limit,
                k.Ratio is { } r ? Number(r * 100, "F0") + "%" : "");
        }
        AnsiConsole.Write(kernels);
        AnsiConsole.MarkupLine($"[grey]total {Number(report.TotalSeconds, "F1")} s; cache-resident rows are judged against DRAM bandwidth only for scale; matvec rows cycle through ×N copies of the matrix (together above the L3) and their limit is the larger of the 1 GiB read and a read pass over the same copies timed alternately with the kernel.[/]");
    }
}
