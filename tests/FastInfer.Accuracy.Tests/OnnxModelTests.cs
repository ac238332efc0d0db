using FastInfer.Accuracy.Onnx;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Tests;

/// <summary>Whole models as ONNX graphs run by ONNX Runtime, against our logits at every position: F32 max relative error ≤ 1e-4.</summary>
public class OnnxModelTests
{
    private const int Tokens = 48;

    [SkippableFact]
    public void Stories260KMatchesOnnxRuntime() => AssertMatches(AccuracyData.Stories260K);

    [SkippableFact]
    public void DenseSyntheticModelMatchesOnnxRuntime() => AssertMatches(AccuracyData.DenseF32);

    [SkippableFact]
    public void MixtureOfExpertsModelMatchesOnnxRuntime() => AssertMatches(AccuracyData.MoeF32);

    /// <summary>A model of one decoder layer between the embedding and the output head.</summary>
    [SkippableFact]
    public void SingleDecoderLayerMatchesOnnxRuntime() => AssertMatches(AccuracyData.OneLayerF32);

    private static void AssertMatches(string path)
    {
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, ContextLength = Tokens });
        var tokens = PerplexityEvaluator.Tokenize(model, AccuracyData.Text)[..Tokens];
        var reference = OnnxLlamaModel.Run(OnnxLlamaModel.Build(model.Weights, Tokens), tokens);
        var ours = SequenceLogits.EvaluateAll(model, tokens);
        var comparison = new LogitComparison();
        comparison.AddRows(reference, ours, model.Config.VocabularySize);
        var result = comparison.Result;
        Assert.True(result.MaxRelativeError <= 1e-4, $"max relative logit error {result.MaxRelativeError:E2} (max abs {result.MaxAbsoluteError:E2})");
        Assert.Equal(1.0, result.Top1Agreement);
    }
}
