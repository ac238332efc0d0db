using System.Globalization;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;
using FastInfer.Kernels.Isa;
using FastInfer.Tests;

namespace FastInfer.Cli.Tests;

/// <summary>fastinfer perplexity: llama-perplexity's output shape, the engine's number, and clear errors.</summary>
public class PerplexityCommandTests
{
    private static string TextPath => Path.Combine(TestModels.RepoRoot, "bench", "FastInfer.Accuracy", "Data", "tinystories-like.txt");

    [SkippableFact]
    public void PrintsRunningValuesAndTheFinalEstimate()
    {
        string model = TestModels.Require("stories260K.gguf");
        var (code, stdout, stderr) = CliRunner.Run("perplexity", "-m", model, "-f", TextPath, "--ctx", "64", "-t", "1");
        Assert.True(code == 0, stderr);

        using var loaded = LlamaModel.Load(model, new ModelLoadOptions { Threads = 1, ContextLength = 64 });
        var tokens = PerplexityEvaluator.Tokenize(loaded, File.ReadAllText(TextPath));
        var expected = PerplexityEvaluator.Evaluate(loaded, tokens, 64);
        Assert.Contains("[1]", stdout);
        Assert.Contains($"[{expected.Chunks}]", stdout);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Final estimate: PPL = {expected.Perplexity:F4} +/- {expected.Uncertainty:F5}"), stdout);
    }

    [SkippableFact]
    public void AHalfKvCacheGivesTheEnginesHalfCacheNumberCloseToTheSinglePrecisionOne()
    {
        string model = TestModels.Require("stories260K.gguf");
        var (code, stdout, stderr) = CliRunner.Run("perplexity", "-m", model, "-f", TextPath, "--ctx", "64", "-t", "1", "--kv-type", "f16");
        Assert.True(code == 0, stderr);

        double Perplexity(KvCacheType type)
        {
            using var loaded = LlamaModel.Load(model, new ModelLoadOptions { Threads = 1, ContextLength = 64, KvCacheType = type });
            return PerplexityEvaluator.Evaluate(loaded, PerplexityEvaluator.Tokenize(loaded, File.ReadAllText(TextPath)), 64).Perplexity;
        }
        double half = Perplexity(KvCacheType.F16), single = Perplexity(KvCacheType.F32);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Final estimate: PPL = {half:F4}"), stdout);
        Assert.NotEqual(single, half);
        Assert.True(Math.Abs(half - single) < 1e-3 * single, $"PPL {half} with an F16 cache against {single} with F32");
    }

    [SkippableTheory]
    [InlineData("q8_0")]
    [InlineData("q4_1")]
    [InlineData("q5_0")]
    public void AQuantizedModelGivesTheSamePerplexityOnTheAvx512PathAsOnAvx2(string type)
    {
        // The AVX-512 path's pair decode kernels and VNNI prefill tiles, emulated on a CPU without them, through the
        // whole engine (packing at load, stacked projections): the number differs from the AVX2 path's only by the
        // order of float additions.
        Skip.If(KernelIsa.Hardware < IsaPath.Avx2, "the AVX-512 path runs only on AVX2 CPUs and up");
        WithConvertedStories(type, model =>
        {
            KernelIsa.Select("avx2");
            double avx2 = Perplexity(FinalEstimate(model));
            KernelIsa.Select(KernelIsa.EmulatedAvx512Name);
            double avx512 = Perplexity(FinalEstimate(model));
            Assert.True(Math.Abs(avx512 - avx2) < 1e-3 * avx2, $"{type}: PPL {avx512} on the AVX-512 path against {avx2} on AVX2");
        });

        static double Perplexity(string line) => double.Parse(line[FinalEstimateMarker.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [SkippableTheory]
    [InlineData("q8_0")]
    [InlineData("q4_0")]
    [InlineData("q4_1")]
    [InlineData("q5_0")]
    public void AQuantizedModelGivesTheSameNumberOnTheAvx2PathWithEitherInt8Instruction(string type)
    {
        // The AVX2 path runs vpdpbusd where the CPU has AVX-VNNI and vpmaddubsw where it has not (RowDot.UsesVnni); here
        // it runs both, the one this CPU lacks emulated, through the whole engine (packing at load, decode, prefill). The
        // int sums are exact either way and the float steps the same, so the two print the same line. (stories260K's
        // 64-column matrices stay F16 when converted to a K-quant, so the K-quant kernels are checked in the kernel tests:
        // OtherInt8InstructionTests.)
        Skip.If(KernelIsa.Hardware < IsaPath.Avx2, "the AVX2 path does not run on this CPU");
        WithConvertedStories(type, model =>
        {
            KernelIsa.Select("avx2");
            KernelIsa.AvxVnniOverride = false;
            string maddubs = FinalEstimate(model);
            KernelIsa.AvxVnniOverride = true;
            Assert.Equal(maddubs, FinalEstimate(model));
        });
    }

    private const string FinalEstimateMarker = "Final estimate: PPL = ";

    /// <summary>Runs <paramref name="test"/> on stories260K converted to <paramref name="type"/> in a temporary folder, then
    /// puts the kernel path back to the CPU's own.</summary>
    private static void WithConvertedStories(string type, Action<string> test)
    {
        string folder = TestModels.TempDirectory("ppl");
        try
        {
            string model = Path.Combine(folder, $"stories260K-{type}.gguf");
            var converted = CliRunner.Run("convert", TestModels.Require("stories260K.bin"), model, "-z", TestModels.Require("tok512.bin"), "--type", type);
            Assert.True(converted.ExitCode == 0, converted.Stderr);
            test(model);
        }
        finally
        {
            KernelIsa.AvxVnniOverride = null;
            KernelIsa.Select(KernelIsa.Hardware);
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The perplexity command's last line over the test text (64-token windows, 2 threads) on the selected path.</summary>
    private static string FinalEstimate(string model)
    {
        var (code, stdout, stderr) = CliRunner.Run("perplexity", "-m", model, "-f", TextPath, "--ctx", "64", "-t", "2");
        Assert.True(code == 0, stderr);
        return stdout.Split('\n').Single(l => l.StartsWith(FinalEstimateMarker, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void BadArgumentsFailWithOneLine()
    {
        string model = TestModels.Require("stories260K.gguf");
        var missing = CliRunner.Run("perplexity", "-m", model, "-f", "/nonexistent/text.txt");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("text file '/nonexistent/text.txt' does not exist", missing.Stderr);

        var tiny = CliRunner.Run("perplexity", "-m", model, "-f", TextPath, "--ctx", "2");
        Assert.Equal(1, tiny.ExitCode);
        Assert.Contains("--ctx must be at least 4", tiny.Stderr);

        string shortText = Path.GetTempFileName();
        try
        {
            File.WriteAllText(shortText, "Once upon a time, there was a cat.");
            var tooShort = CliRunner.Run("perplexity", "-m", model, "-f", shortText, "--ctx", "64");
            Assert.Equal(1, tooShort.ExitCode);
            Assert.Contains("needs at least 128", tooShort.Stderr);
        }
        finally
        {
            File.Delete(shortText);
        }
    }
}
