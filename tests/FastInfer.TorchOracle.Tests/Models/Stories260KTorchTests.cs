using FastInfer.Accuracy.Torch;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;
using FastInfer.Tests;
using Xunit.Abstractions;

namespace FastInfer.TorchOracle.Tests.Models;

/// <summary>
/// The real stories260K (F32 GGUF) in FastInfer against <see cref="TorchLlama"/> on the same file's weights, q/k put
/// back into the half-split RoPE layout. Relative error at a position is max|FastInfer − torch| / max|torch| over the
/// vocabulary; the bound is on the worst position.
/// </summary>
public class Stories260KTorchTests(ITestOutputHelper output)
{
    private const int Positions = 64;

    [SkippableFact]
    public void LogitsAtEveryPositionAndGreedyTokensMatchTorch()
    {
        string path = TestModels.Require("stories260K.gguf");
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, ContextLength = Positions });
        using var torchModel = TorchLlama.FromGguf(path);
        var prompt = model.Tokenizer.Encode("Once upon a time, there was a little", addBos: true);
        int steps = Positions - prompt.Length;

        var ours = GreedyTokens.Generate(model, prompt, steps);
        var theirs = torchModel.Greedy(prompt, steps);
        var agreement = GreedyAgreement.Compare(theirs, ours);
        Assert.True(agreement.Identical, $"greedy tokens diverge at step {agreement.IdenticalPrefix} of {steps}");

        int[] tokens = [.. prompt, .. ours];
        var expected = torchModel.Forward(tokens);
        var decode = SequenceLogits.EvaluateAll(model, tokens);
        var comparison = new LogitComparison();
        for (int i = 0; i < Positions; i++)
            comparison.Add(expected[i], decode.AsSpan(i * model.Config.VocabularySize, model.Config.VocabularySize));
        var state = model.Transformer.CreateState(Positions);
        comparison.Add(expected[^1], model.Transformer.Prefill(state, tokens, 0));
        var result = comparison.Result;
        output.WriteLine($"stories260K vs TorchSharp over {Positions} positions (+ prefill): max relative error {result.MaxRelativeError:E2}, " +
            $"max abs {result.MaxAbsoluteError:E2}, mean KL {result.MeanKlDivergence:E2}, top-1 {result.Top1Agreement:P1}, greedy identical over {steps}");
        Assert.True(result.MaxRelativeError <= 1e-4, $"max relative logit error {result.MaxRelativeError:E2} (max abs {result.MaxAbsoluteError:E2})");
        Assert.Equal(1.0, result.Top1Agreement);
    }
}
