namespace FastInfer.Engine.Evaluation;

/// <summary>How long two greedy generations from the same prompt stay identical.</summary>
/// <param name="Steps">tokens compared (the shorter sequence's length).</param>
/// <param name="IdenticalPrefix">tokens before the first difference.</param>
/// <param name="Matching">positions holding the same token, diverged or not.</param>
public sealed record GreedyAgreement(int Steps, int IdenticalPrefix, int Matching)
{
    public bool Identical => IdenticalPrefix == Steps;

    public static GreedyAgreement Compare(ReadOnlySpan<int> reference, ReadOnlySpan<int> candidate)
    {
        int steps = Math.Min(reference.Length, candidate.Length);
        int prefix = 0;
        while (prefix < steps && reference[prefix] == candidate[prefix])
            prefix++;
        int matching = prefix;
        for (int i = prefix; i < steps; i++)
        {
            if (reference[i] == candidate[i])
                matching++;
        }
        return new GreedyAgreement(steps, prefix, matching);
    }
}
