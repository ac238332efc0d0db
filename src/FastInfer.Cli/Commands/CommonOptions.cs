using System.CommandLine;
using FastInfer.Engine;
using FastInfer.Kernels.Isa;

namespace FastInfer.Cli.Commands;

/// <summary>Options several commands share, spelled the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Model(string description = "model: GGUF file, Hugging Face folder (config.json + safetensors) or llama2.c checkpoint") =>
        new("--model", "-m") { Description = description, Required = true };

    public static Option<int> Threads() =>
        new("--threads", "-t") { Description = "compute threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };

    public static Option<KvCacheType> KvType() =>
        new("--kv-type") { Description = "KV cache precision: f32, or f16 for half the memory (keys and values rounded to half)", DefaultValueFactory = _ => KvCacheType.F32 };

    public static Option<string?> Isa() =>
        new("--isa") { Description = "force a kernel path this CPU runs: avx512, avx2, v128 or scalar (default: the widest it has); avx512-emulated runs the AVX-512 kernels on any AVX2 CPU, very slowly, to check their results" };

    public static void ApplyIsa(string? isa)
    {
        if (!string.IsNullOrEmpty(isa))
            KernelIsa.Select(isa);
    }
}
