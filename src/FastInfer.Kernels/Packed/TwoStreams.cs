namespace FastInfer.Kernels.Packed;

/// <summary>
/// How the packed decode jobs split a run of groups into two streams: group i of the first half goes with group i of
/// the second, so a thread reads two forward streams half a run apart instead of one. On this project's Zen 5 one
/// thread reading a single packed stream, prefetched ahead, took less from DRAM than a plain read does; two streams per
/// thread took more for Q8_0, Q4_0 (the AVX-512 pair kernel) and Q4_K, with the one- and two-stream jobs alternated
/// call by call in one process (4096×11008, two threads, sixteen or twenty copies; medians over a few minutes as this
/// host's memory swung: Q8_0 +14 to +30% in most runs, within ±5% in the rest; Q4_0 +27% in the one run; Q4_K +8 to +22% in all but one,
/// −3%). Q6_K ran within ±6% either way and Q5_0 and the AVX2 Q4_0 slower, so those keep one stream. In a whole model
/// the gain shows for Q4_0 only: tinyllama-1.1b decoded 58.5 and 62.8 tok/s against 52.2 and 51.0 (`fastinfer generate`,
/// 128 tokens, two threads, builds alternated), while Q8_0 (34.0–36.1 in four runs and 24.3 in one, against 32.5–34.3 in
/// five) and Q4_K_M (45.2–45.5 against 46.0–46.1) stayed where they were. (On the AVX-512 path Q8_0 has since moved to the
/// pair kernel, <see cref="PairQ8_0Sum"/>, which pairs its streams the same way.) A lone last group, when the run is odd,
/// is read on its own.
/// </summary>
internal static class TwoStreams
{
    /// <summary>Groups in the first stream of the run [first, end); the second stream starts that many groups later.</summary>
    public static int Half(int first, int end) => (end - first) / 2;
}
