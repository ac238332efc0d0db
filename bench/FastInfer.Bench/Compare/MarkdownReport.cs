using System.Globalization;
using System.Text;

namespace FastInfer.Bench.Compare;

/// <summary>The run as markdown: a full table (median and min–max) and a FastInfer-versus-best-peer summary.</summary>
public static class MarkdownReport
{
    public static string Render(CompareRun run, IReadOnlyList<string> tests)
    {
        var text = new StringBuilder();
        text.AppendLine($"Machine: {run.Machine}  ");
        text.AppendLine($"Command: `{run.Command}` ({run.Repeats} repeats, median and min–max tok/s; engines alternate within each repeat; each sample repeats its call until the timed parts reach {run.MinSampleSeconds.ToString("0.##", CultureInfo.InvariantCulture)} s)");
        text.AppendLine();
        text.Append("| model | threads | engine |");
        foreach (var test in tests)
            text.Append($" {test} tok/s |");
        text.AppendLine(" decode GB/s | of bandwidth | load s | peak MiB |");
        text.Append("|---|---|---|");
        foreach (var _ in tests)
            text.Append("---|");
        text.AppendLine("---|---|---|---|");
        string tg = tests.FirstOrDefault(t => t.StartsWith("tg", StringComparison.Ordinal)) ?? "";
        foreach (var model in run.Models)
        {
            if (model.Error != null)
            {
                text.AppendLine($"| {model.Label} | | | not run: {model.Error} |");
                continue;
            }
            foreach (var engine in model.Engines)
            {
                text.Append($"| {model.Label} | {engine.Threads} | {engine.Engine} |");
                if (engine.Error != null)
                {
                    text.AppendLine($" not run: {Escape(engine.Error)} |");
                    continue;
                }
                foreach (var test in tests)
                    text.Append($" {Cell(engine.TokensPerSecond.GetValueOrDefault(test))} |");
                double decode = engine.TokensPerSecond.GetValueOrDefault(tg)?.Median ?? double.NaN;
                double gbs = decode * model.WeightBytesPerToken / 1e9;
                text.Append($" {Number(gbs)} | {Percent(gbs / model.BandwidthGBs)} |");
                text.AppendLine($" {engine.LoadSeconds.ToString("0.00", CultureInfo.InvariantCulture)} | {engine.PeakBytes / (1024.0 * 1024):0} |");
            }
        }
        text.AppendLine();
        text.AppendLine("Read bandwidth (GB/s, all threads, before → after each model): " + string.Join("; ",
            run.Models.Where(m => m.Error == null).Select(m => $"{m.Label} {Number(m.BandwidthBeforeGBs)} → {Number(m.BandwidthAfterGBs)}")));
        text.AppendLine();
        text.AppendLine("FastInfer ÷ the faster peer (median tok/s; ≥ 1.00 means FastInfer wins):");
        text.AppendLine();
        text.Append("| model | threads |");
        foreach (var test in tests)
            text.Append($" {test} |");
        text.AppendLine();
        text.Append("|---|---|");
        foreach (var _ in tests)
            text.Append("---|");
        text.AppendLine();
        foreach (var model in run.Models.Where(m => m.Error == null))
        {
            foreach (var threads in model.Engines.Select(e => e.Threads).Distinct())
            {
                var ours = model.Engines.FirstOrDefault(e => e.Threads == threads && e.Engine == "FastInfer" && e.Error == null);
                var peers = model.Engines.Where(e => e.Threads == threads && e.Engine != "FastInfer" && e.Error == null).ToList();
                text.Append($"| {model.Label} | {threads} |");
                foreach (var test in tests)
                {
                    double best = peers.Select(p => p.TokensPerSecond.GetValueOrDefault(test)?.Median ?? double.NaN).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
                    double mine = ours?.TokensPerSecond.GetValueOrDefault(test)?.Median ?? double.NaN;
                    text.Append($" {Ratio(mine / best)} |");
                }
                text.AppendLine();
            }
        }
        return text.ToString();
    }

    private static string Cell(Sample? sample) =>
        sample == null || sample.Count == 0 ? "–" : $"{Number(sample.Median)} ({Number(sample.Min)}–{Number(sample.Max)})";

    private static string Number(double value) => !double.IsFinite(value) ? "–"
        : value >= 100 ? value.ToString("0", CultureInfo.InvariantCulture)
        : value >= 10 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) => double.IsFinite(fraction) ? fraction.ToString("0%", CultureInfo.InvariantCulture) : "–";
    private static string Ratio(double ratio) => double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "–";
    private static string Escape(string text) => text.Replace("|", "\\|").ReplaceLineEndings(" ");
}
