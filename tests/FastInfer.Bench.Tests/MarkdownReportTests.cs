using FastInfer.Bench.Compare;

namespace FastInfer.Bench.Tests;

public class MarkdownReportTests
{
    [Fact]
    public void The_summary_divides_our_median_by_the_faster_peer_and_the_header_states_the_sampling()
    {
        var run = new CompareRun { Machine = "test machine", Command = "compare", StartedUtc = DateTime.UnixEpoch, Repeats = 3, MinSampleSeconds = 0.5 };
        var model = new ModelResult { Label = "m", Path = "m.gguf", WeightBytesPerToken = 1_000_000_000, BandwidthBeforeGBs = 50, BandwidthAfterGBs = 40 };
        run.Models.Add(model);
        model.Engines.Add(Engine("FastInfer", pp: [300, 100, 200], tg: [20, 20, 20]));
        model.Engines.Add(Engine("slow peer", pp: [50, 50, 50], tg: [10, 10, 10]));
        model.Engines.Add(Engine("fast peer", pp: [150, 160, 140], tg: [16, 16, 16]));

        string markdown = MarkdownReport.Render(run, ["pp128", "tg128"]);

        Assert.Contains("each sample repeats its call until the timed parts reach 0.5 s", markdown);
        Assert.Contains("| m | 2 | FastInfer | 200 (100–300) | 20.0 (20.0–20.0) | 20.0 | 50% |", markdown); // 20 GB/s of the lower 40
        Assert.Contains("| m | 2 | 1.33 | 1.25 |", markdown);
    }

    private static EngineResult Engine(string name, double[] pp, double[] tg)
    {
        var result = new EngineResult { Engine = name, Threads = 2 };
        foreach (var value in pp)
            result.For("pp128").Add(value);
        foreach (var value in tg)
            result.For("tg128").Add(value);
        return result;
    }
}
