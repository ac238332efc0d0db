using FastInfer.Engine;
using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Tests;

/// <summary>The all-positions evaluation API: prefill for unscored positions, forward steps for the rest.</summary>
public class SequenceLogitsTests
{
    [SkippableFact]
    public void PrefilledPrefixGivesTheSameLogitsAsStepByStep()
    {
        using var model = LlamaModel.Load(AccuracyData.Stories260K, new ModelLoadOptions { Threads = 1, ContextLength = 40 });
        var tokens = PerplexityEvaluator.Tokenize(model, AccuracyData.Text)[..40];
        int vocabulary = model.Config.VocabularySize;
        var all = SequenceLogits.EvaluateAll(model, tokens);
        var seen = new List<int>();
        var comparison = new LogitComparison();
        SequenceLogits.Evaluate(model, tokens, 25, (position, logits) =>
        {
            seen.Add(position);
            comparison.Add(all.AsSpan(position * vocabulary, vocabulary), logits);
        });
        Assert.Equal(Enumerable.Range(25, 15), seen);
        Assert.True(comparison.Result.MaxRelativeError <= 1e-4, $"max relative error {comparison.Result.MaxRelativeError:E2}");
    }

    [SkippableFact]
    public void GreedyTokensFollowTheArgmaxOfEachStep()
    {
        using var model = LlamaModel.Load(AccuracyData.Stories260K, new ModelLoadOptions { Threads = 1, ContextLength = 32 });
        var prompt = model.Tokenizer.Encode("Once upon a time", addBos: true);
        var generated = GreedyTokens.Generate(model, prompt, 10);
        var sequence = prompt.Concat(generated).ToArray();
        var logits = SequenceLogits.EvaluateAll(model, sequence);
        int vocabulary = model.Config.VocabularySize;
        for (int i = 0; i < generated.Length; i++)
            Assert.Equal(generated[i], Distributions.ArgMax(logits.AsSpan((prompt.Length - 1 + i) * vocabulary, vocabulary)));
    }

    [SkippableFact]
    public void RejectsSequencesThatDoNotFit()
    {
        using var model = LlamaModel.Load(AccuracyData.Stories260K, new ModelLoadOptions { Threads = 1, ContextLength = 8 });
        Assert.Throws<ArgumentException>(() => SequenceLogits.EvaluateAll(model, new int[9]));
        Assert.Throws<ArgumentException>(() => SequenceLogits.EvaluateAll(model, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequenceLogits.Evaluate(model, new int[4], 4, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => GreedyTokens.Generate(model, new int[4], 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PerplexityEvaluator.Evaluate(model, new int[40], 16));
    }
}
