namespace FastInfer.Engine.Tokenizers.Common;

/// <summary>
/// Finds special tokens (control and user-defined pieces such as <c>&lt;|eot_id|&gt;</c>) spelled out in text,
/// longest match first. Candidates are grouped by first char so scanning plain text costs one lookup per char.
/// </summary>
internal sealed class SpecialTokenMatcher
{
    private readonly Dictionary<char, (string Text, int Id)[]> _byFirstChar;

    public SpecialTokenMatcher(IEnumerable<(string Text, int Id)> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Text.Length > 0)
            .GroupBy(t => t.Text[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Text.Length).ThenBy(t => t.Id).ToArray());
    }

    public static SpecialTokenMatcher Empty { get; } = new([]);

    public bool IsEmpty => _byFirstChar.Count == 0;

    public bool TryMatchAt(ReadOnlySpan<char> text, out int length, out int id)
    {
        if (text.Length > 0 && _byFirstChar.TryGetValue(text[0], out var candidates))
        {
            foreach (var (candidate, candidateId) in candidates)
            {
                if (text.StartsWith(candidate, StringComparison.Ordinal))
                {
                    length = candidate.Length;
                    id = candidateId;
                    return true;
                }
            }
        }
        length = 0;
        id = -1;
        return false;
    }
}
