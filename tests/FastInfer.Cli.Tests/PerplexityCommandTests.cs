using System.Globalization;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;
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
