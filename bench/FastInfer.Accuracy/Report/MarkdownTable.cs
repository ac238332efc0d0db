using System.Globalization;
using System.Text;

namespace FastInfer.Accuracy.Report;

/// <summary>Renders report rows as one GitHub markdown table, with notes for rows that could not run.</summary>
public static class MarkdownTable
{
    public static string Render(IReadOnlyList<ReportRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| oracle | model | type | positions | max abs err | max rel err | max elem rel err | top-1 | mean KL | greedy | KL vs F32 ours / oracle | PPL ours / oracle |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|");
        var notes = new List<string>();
        foreach (var row in rows)
        {
            if (row.Note is not null)
            {
                notes.Add($"- {row.Oracle}, {row.Model} {row.Type}: {row.Note}");
                text.AppendLine($"| {row.Oracle} | {row.Model} | {row.Type} | — | — | — | — | — | — | — | — | see note {notes.Count} |");
                continue;
            }
            var l = row.Logits;
            text.AppendLine(string.Join(" | ",
                "| " + row.Oracle, row.Model, row.Type,
                l is null ? "—" : l.Positions.ToString(CultureInfo.InvariantCulture),
                l is null ? "—" : E(l.MaxAbsoluteError), l is null ? "—" : E(l.MaxRelativeError), l is null ? "—" : E(l.MaxElementwiseRelativeError),
                l is null ? "—" : l.Top1Agreement.ToString("P1", CultureInfo.InvariantCulture), l is null ? "—" : E(l.MeanKlDivergence),
                row.Greedy is { } g ? (g.Identical ? $"identical over {g.Steps}" : $"{g.IdenticalPrefix}/{g.Steps} then diverges ({g.Matching} match)") : "—",
                row.KlAgainstF32 is { } kl ? $"{E(kl.Ours)} / {E(kl.Theirs)}" : "—",
                row.Perplexity is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.Ours:F4} / {p.Theirs:F4}") : "—") + " |");
        }
        if (notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Notes:");
            for (int i = 0; i < notes.Count; i++)
                text.AppendLine($"{i + 1}. {notes[i][2..]}");
        }
        return text.ToString();
    }

    private static string E(double value) => value.ToString("0.0E+0", CultureInfo.InvariantCulture);
}
