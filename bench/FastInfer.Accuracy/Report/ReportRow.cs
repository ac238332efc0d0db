using FastInfer.Engine.Evaluation;

namespace FastInfer.Accuracy.Report;

/// <summary>One line of the accuracy table: FastInfer against one oracle on one model file.</summary>
public sealed record ReportRow(string Oracle, string Model, string Type)
{
    public LogitComparisonResult? Logits { get; init; }
    public GreedyAgreement? Greedy { get; init; }
    /// <summary>Mean KL of the quantized file against the F32 file: (FastInfer's, the oracle's).</summary>
    public (double Ours, double Theirs)? KlAgainstF32 { get; init; }
    public (double Ours, double Theirs)? Perplexity { get; init; }
    /// <summary>Why the row has no numbers (the oracle cannot produce the file, or we cannot run it).</summary>
    public string? Note { get; init; }
}
