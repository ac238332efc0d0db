namespace FastInfer.Kernels.Packed;

/// <summary>
/// How the packed decode jobs split a run of groups into two streams: group i of the first half goes with group i of
/// the second, so a thread reads two forward streams half a run apart instead of one. In trial runs outside the
/// repository (the one- and two-stream jobs alternated call by call in one process, from DRAM), two streams per thread
/// read faster for Q8_0, Q4_0 (the AVX-512 pair kernel) and Q4_K in most runs; Q6_K was no faster and Q5_0 and the AVX2
/// Q4_0 slower, so those keep one stream. In a whole model the gain shows for Q4_0: tinyllama-1.1b decoded 58.5 and
/// 62.8 tok/s against 52.2 and 51.0 (`fastinfer generate`, 128 tokens, two threads, builds alternated), while Q8_0
/// (34.0–36.1 in four runs and 24.3 in one, against 32.5–34.3 in five) and Q4_K_M (45.2–45.5 against 46.0–46.1) stayed
/// where they were. (On the AVX-512 path Q8_0 has since moved to the pair kernel, <see cref="PairQ8_0Sum"/>, which pairs
/// its streams the same way, and so has Q6_K, <see cref="PackedQ6_KPairKernel"/>: the 256-bit Q6_K kernel was bound by
/// its arithmetic, which two streams do not help; the 256-bit Q8_0 kernel went back to one stream in session 12 and the
/// 256-bit Q4_K kernel in session 13, see <see cref="PackedSuperBlockMatVec{TFormat, TStep}"/>. Since session 23 every
/// 256-bit block format reads two streams again, through a leaner pair walk, <see cref="PackedGroupPair"/>, which was
/// faster from DRAM and from cache on the AVX2-only Zen 3.) A lone last group, when the run is odd, is read on its own.
/// </summary>
internal static class TwoStreams
{
    /// <summary>Groups in the first stream of the run [first, end); the second stream starts that many groups later.</summary>
    public static int Half(int first, int end) => (end - first) / 2;
}
