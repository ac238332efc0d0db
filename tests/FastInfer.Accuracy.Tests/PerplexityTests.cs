using FastInfer.Accuracy.LlamaCpp;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Tests;

/// <summary>Our perplexity equals llama.cpp's on the same file and text within 0.1%.</summary>
public class PerplexityTests
{
    private const int Context = 128;

    [SkippableFact]
    public void Stories260KMatchesLlamaCpp() => AssertMatchesLlamaCpp(AccuracyData.Stories260K, maxTokens: 6 * Context);

    [SkippableFact]
    public void SyntheticModelMatchesLlamaCpp() => AssertMatchesLlamaCpp(AccuracyData.DenseF32, maxTokens: 4 * Context);

    [SkippableFact]
    public void StridedWindowsMatchLlamaCpp() => AssertMatchesLlamaCpp(AccuracyData.Stories260K, stride: 96, maxTokens: 400);

    private static void AssertMatchesLlamaCpp(string path, int stride = 0, int maxTokens = int.MaxValue)
    {
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, ContextLength = Context });
        using var oracle = new LlamaCppOracle(path, Context, threads: 2);
        var tokens = PerplexityEvaluator.Tokenize(model, AccuracyData.Text);
        Assert.Equal(oracle.Tokenize(AccuracyData.Text, addBos: true), tokens);
        tokens = tokens[..Math.Min(tokens.Length, maxTokens)];

        var ours = PerplexityEvaluator.Evaluate(model, tokens, Context, stride);
        var theirs = LlamaCppPerplexity.Evaluate(oracle, tokens, Context, stride, model.Tokenizer.BosId);
        Assert.Equal(theirs.Predictions, ours.Predictions);
        Assert.True(ours.Perplexity > 1 && double.IsFinite(ours.Perplexity), $"perplexity {ours.Perplexity}");
        double relative = Math.Abs(ours.Perplexity - theirs.Perplexity) / theirs.Perplexity;
        Assert.True(relative <= 1e-3, $"FastInfer PPL {ours.Perplexity:F6} vs llama.cpp {theirs.Perplexity:F6}: {relative:P4} apart");
    }
}
