namespace FastInfer.Engine.Conversion;

/// <summary>
/// Hugging Face keeps each attention head's query/key rows in the rotate-half layout (the first half of a head pairs
/// with the second half); llama.cpp's GGUF files pair adjacent rows. The converter reorders rows as llama.cpp's own
/// converter does: GGUF row h·d + 2i + j is HF row h·d + j·d/2 + i (head h, pair i, member j), so the GGUF runs with
/// interleaved RoPE and gives the same attention scores.
/// </summary>
public static class RotaryPermutation
{
    /// <summary>The HF row that becomes GGUF row <paramref name="row"/> in a projection of heads of <paramref name="headDimension"/> rows.</summary>
    public static long SourceRow(long row, int headDimension)
    {
        if (headDimension <= 0 || headDimension % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(headDimension), $"head dimension {headDimension} must be positive and even");
        long head = row / headDimension;
        int within = (int)(row % headDimension);
        int pair = within / 2, member = within % 2;
        return head * headDimension + member * (headDimension / 2) + pair;
    }
}
