using FastInfer.Accuracy.LlamaCpp;
using FastInfer.Accuracy.Models;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Tests;

/// <summary>Full-vocabulary logits against llama.cpp on the same GGUF files, F32 and quantized by llama.cpp itself.</summary>
public class LlamaCppLogitTests
{
    private const int Positions = 64;

    [SkippableFact]
    public void Stories260KF32GreedyIsIdenticalOver256Tokens()
    {
        string path = AccuracyData.Stories260K;
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, ContextLength = 320 });
        using var oracle = new LlamaCppOracle(path, 320);
        var prompt = model.Tokenizer.Encode("Once upon a time, there was a little", addBos: true);
        var ours = GreedyTokens.Generate(model, prompt, 256);
        var theirs = oracle.Greedy(prompt, 256);
        var agreement = GreedyAgreement.Compare(theirs, ours);
        Assert.Equal(256, agreement.Steps);
        if (!agreement.Identical)
            Assert.Fail($"greedy tokens diverge at step {agreement.IdenticalPrefix}: llama.cpp {theirs[agreement.IdenticalPrefix]}, FastInfer {ours[agreement.IdenticalPrefix]}");
    }

    [SkippableFact]
    public void Stories260KF32LogitsAgree()
    {
        var result = Compare(AccuracyData.Stories260K, AccuracyData.Stories260K);
        Assert.True(result.MaxRelativeError <= 1e-4, $"max relative logit error {result.MaxRelativeError:E2}");
        Assert.Equal(1.0, result.Top1Agreement);
    }

    [SkippableTheory]
    [InlineData("dense", QuantizedFileType.Q8_0)]
    [InlineData("dense", QuantizedFileType.Q4_0)]
    [InlineData("dense", QuantizedFileType.Q4_K_M)]
    [InlineData("stories260K", QuantizedFileType.Q8_0)]
    [InlineData("stories260K", QuantizedFileType.Q4_0)]
    [InlineData("stories260K", QuantizedFileType.Q4_K_M)]
    public void QuantizedFileAgreesAndLosesNoMoreThanLlamaCpp(string modelName, QuantizedFileType type)
    {
        string f32 = modelName == "dense" ? AccuracyData.DenseF32 : AccuracyData.Stories260K;
        string quantized;
        try
        {
            quantized = AccuracyData.Quantized(f32, type);
        }
        catch (LlamaCppQuantizeException refused)
        {
            // stories260K's feed-forward rows hold 172 values: not whole 32-value Q8_0/Q4_0 blocks, and llama.cpp
            // has no fallback for those types, so there is no llama.cpp file to compare with.
            throw new SkipException(refused.Message);
        }
        string? unsupported = AccuracyModels.UnsupportedTensor(quantized);
        Skip.If(unsupported is not null,
            $"llama.cpp's {type} file of {modelName} holds {AccuracyModels.TensorTypes(quantized)}: {unsupported}");

        var tokens = Tokens(f32);
        var ours = OurLogits(quantized, tokens);
        var theirs = LlamaCppLogits(quantized, tokens);
        var sameFile = Comparison(theirs, ours);
        Assert.True(sameFile.MeanKlDivergence <= 1e-4, $"{type}: mean KL(llama.cpp ‖ FastInfer) {sameFile.MeanKlDivergence:E2}");
        Assert.True(sameFile.Top1Agreement >= 0.99, $"{type}: top-1 agreement {sameFile.Top1Agreement:P1}");

        double ourLoss = Comparison(OurLogits(f32, tokens), ours).MeanKlDivergence;
        double theirLoss = Comparison(LlamaCppLogits(f32, tokens), theirs).MeanKlDivergence;
        Assert.True(ourLoss <= 1.1 * theirLoss + 1e-7,
            $"{type}: FastInfer loses KL {ourLoss:E3} against its F32 model, llama.cpp {theirLoss:E3}");
    }

    private static LogitComparisonResult Compare(string reference, string candidate)
    {
        var tokens = Tokens(reference);
        return Comparison(LlamaCppLogits(reference, tokens), OurLogits(candidate, tokens));
    }

    private static int[] Tokens(string path)
    {
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, ContextLength = Positions });
        return PerplexityEvaluator.Tokenize(model, AccuracyData.Text)[..Positions];
    }

    private static float[] OurLogits(string path, int[] tokens)
    {
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, ContextLength = tokens.Length });
        return SequenceLogits.EvaluateAll(model, tokens);
    }

    private static float[] LlamaCppLogits(string path, int[] tokens)
    {
        using var oracle = new LlamaCppOracle(path, tokens.Length);
        return oracle.Logits(tokens);
    }

    private static LogitComparisonResult Comparison(float[] reference, float[] candidate)
    {
        var comparison = new LogitComparison();
        comparison.AddRows(reference, candidate, reference.Length / Positions);
        return comparison.Result;
    }
}
