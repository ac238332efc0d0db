using System.Runtime.CompilerServices;
using FastInfer.Accuracy.Report;
using FastInfer.Engine;
using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Torch;

/// <summary>
/// The report's TorchSharp row: <see cref="TorchLlama"/> on the same F32 GGUF weights, logits at every position and
/// greedy tokens. Kept out of <see cref="AccuracyReport"/> so LibTorch is loaded only when this row runs, and a
/// machine where it cannot load still gets the other oracles' rows.
/// </summary>
internal static class TorchComparison
{
    /// <summary>Logits of <paramref name="tokens"/> and <paramref name="greedySteps"/> greedy tokens (torch recomputes the whole sequence at each step).</summary>
    public static ReportRow Compare(string name, string type, string path, LlamaModel ours, int[] tokens, float[] ourLogits, int greedySteps)
    {
        try
        {
            return Run(name, type, path, ours, tokens, ourLogits, greedySteps);
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or BadImageFormatException or FileNotFoundException or FileLoadException)
        {
            return new ReportRow("TorchSharp", name, type) { Note = $"TorchSharp did not run: {e.GetBaseException().Message}" };
        }
    }

    // Not inlined: a missing TorchSharp assembly fails when this method is compiled, which must happen inside the try.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ReportRow Run(string name, string type, string path, LlamaModel ours, int[] tokens, float[] ourLogits, int greedySteps)
    {
        using var torchModel = TorchLlama.FromGguf(path);
        int vocabulary = ours.Config.VocabularySize;
        var comparison = new LogitComparison();
        var expected = torchModel.Forward(tokens);
        for (int i = 0; i < tokens.Length; i++)
            comparison.Add(expected[i], ourLogits.AsSpan(i * vocabulary, vocabulary));

        var prompt = tokens[..8];
        int steps = Math.Min(greedySteps, ours.MaxContextLength - prompt.Length);
        var greedy = GreedyAgreement.Compare(torchModel.Greedy(prompt, steps), GreedyTokens.Generate(ours, prompt, steps));
        return new ReportRow("TorchSharp", name, type) { Logits = comparison.Result, Greedy = greedy };
    }
}
