using FastInfer.Engine;
using FastInfer.Engine.Evaluation;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Tests;
using Xunit.Abstractions;

namespace FastInfer.Oracles.Tests.Mixtral;

/// <summary>
/// FastInfer and llama.cpp on the same mixtral-mini GGUF (8 experts, top-2, 4 layers, random weights): each greedy
/// step's token and logits, llama.cpp fed FastInfer's tokens so every position is compared. Both engines are
/// deterministic, so the asserted full 64-step agreement is stable. Logit metric: max |Δlogit| / std(logits) per
/// position. Random weights make near-ties, so the smallest top-2 margin (same units) is reported beside it: for F32
/// (difference ~1e-6 std) every margin is far above the noise; for Q8_0 llama.cpp quantizes activations to Q8_0 blocks,
/// the difference is ~2e-2 std and this seed's smallest margin (~1e-2 std) lies inside it, so there the agreement at
/// that step is observed, not implied by the bound. With 8-bit activations a last-bit float difference now and then
/// moves one activation across a rounding boundary of its Q8_0 block, which moves the logits of that position by one
/// quantization step (up to ~0.3 std here) in either engine; so for Q8_0 the bound is the one issue 5 sets for quantized
/// files — mean KL(llama.cpp ‖ FastInfer) ≤ 1e-4 over the positions — with every position within one step's reach.
/// </summary>
public class MixtralMiniTests(ITestOutputHelper output)
{
    private const int Steps = 64;
    private const int Seed = 7;
    private static readonly int[] Prompt = [1, 300, 301, 17, 42];

    [Theory]
    [InlineData(GgmlType.F32, 1e-4, true)]
    [InlineData(GgmlType.Q8_0, 0.5, false)]
    public void GreedyTokensAndLogitsAgreeWithLlamaCpp(GgmlType type, double maxDiffOverStd, bool marginsAboveNoise)
    {
        bool quantizedActivations = type != GgmlType.F32;
        string directory = TestModels.TempDirectory("mixtral-mini");
        try
        {
            var divergences = new List<double>();
            string path = Path.Combine(directory, $"mixtral-mini-{type}.gguf");
            SyntheticModelWriter.Write(SyntheticModelShape.MixtralMini, type, Seed, path);
            using var ours = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, ContextLength = 128 });
            using var llama = new LlamaCppSession(path);
            var state = ours.Transformer.CreateState(128);

            double worstDiff = 0, smallestMargin = double.MaxValue;
            var margins = new List<double>();
            var generated = new List<int>();
            int token = Prompt[0];
            for (int position = 0; position < Prompt.Length + Steps - 1; position++)
            {
                var expected = llama.Next(token);
                var actual = ours.Transformer.Forward(state, token, position).ToArray();
                var comparison = LogitComparison.Of(expected, actual);
                worstDiff = Math.Max(worstDiff, comparison.MaxDiffOverStd);
                divergences.Add(Distributions.KlDivergence(expected, actual));
                if (position + 1 < Prompt.Length)
                {
                    token = Prompt[position + 1];
                    continue;
                }
                smallestMargin = Math.Min(smallestMargin, comparison.MarginOverStd);
                margins.Add(comparison.MarginOverStd);
                Assert.True(comparison.ExpectedArgMax == comparison.ActualArgMax,
                    $"step {generated.Count}: llama.cpp picks {comparison.ExpectedArgMax}, FastInfer {comparison.ActualArgMax} (margin {comparison.MarginOverStd:E2} std)");
                token = comparison.ActualArgMax;
                generated.Add(token);
            }
            output.WriteLine($"{type}: {generated.Count} greedy tokens agree; max |Δlogit| / std(logits) = {worstDiff:E2}; " +
                $"smallest top-2 margin = {smallestMargin:E2} std; {margins.Count(m => m > worstDiff)} of {margins.Count} margins exceed the difference");
            output.WriteLine("tokens: " + string.Join(' ', generated));
            Assert.Equal(Steps, generated.Count);
            double meanKl = divergences.Average();
            output.WriteLine($"mean KL(llama.cpp ‖ FastInfer) = {meanKl:E2}");
            if (quantizedActivations)
                Assert.True(meanKl <= 1e-4, $"mean KL {meanKl:E2}");
            Assert.True(worstDiff <= maxDiffOverStd, $"max |Δlogit| / std = {worstDiff:E2}");
            if (marginsAboveNoise)
                Assert.True(smallestMargin > 100 * worstDiff, $"smallest margin {smallestMargin:E2} std is near the noise {worstDiff:E2}");
            Assert.True(generated.Distinct().Count() > 4, "the generation is stuck on a few tokens, so agreement says little");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
