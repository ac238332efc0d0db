namespace FastInfer.Kernels.Packed;

/// <summary>
/// How the packed decode jobs split a run of groups into two streams: group i of the first half goes with group i of
/// the second, so a thread reads two forward streams half a run apart instead of one. On this project's Zen 5 one
/// thread reading a single packed stream, prefetched ahead, took less from DRAM than a plain read does; two streams per
/// thread took more, in every packed type, with the old and new job alternated call by call in one process (Q8_0
/// 4096×11008 on two threads, twenty copies: 47 against 40 GB/s median; Q4_0 51 against 40; Q4_K 49 against 43; Q6_K 53
/// against 49). A lone last group, when the run is odd, is read on its own.
/// </summary>
internal static class TwoStreams
{
    /// <summary>Groups in the first stream of the run [first, end); the second stream starts that many groups later.</summary>
    public static int Half(int first, int end) => (end - first) / 2;
}
