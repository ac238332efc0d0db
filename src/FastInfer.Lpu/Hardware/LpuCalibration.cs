namespace FastInfer.Lpu.Hardware;

/// <summary>
/// The one cost-model constant no published source gives: the pipeline latency every dependent operation adds on a
/// GroqChip, in clock cycles.
/// </summary>
/// <remarks>
/// Physical floor: an instruction reaches the last of the 20 superlanes 20 cycles after the first, a vector crosses
/// the chip's ~100 functional slices one slice per cycle, and the MXM is 320 cells deep, so a dependent operation
/// cannot complete in less than ~450 cycles (0.5 us) after its input is ready. The deployed software stack does worse
/// than that floor: the published Llama-2-70B rate on 576 chips (257 tok/s decode from LLMPerf, 300 tok/s claimed by
/// Groq) puts 42-49 us on each layer, and weight streaming (~1.5-7 us), link hops and deskew (a few us) leave
/// ~25-30 us for the ~17 dependent operations on a layer's critical path. We therefore set 1780 cycles (1.98 us), anchored once on
/// Llama-2-70B (the middle of the 257-300 tok/s band) and used unchanged for every model and chip count: Mixtral-8x7B
/// (430-480 tok/s published) and Llama-2-7B (750 tok/s claimed) are predictions of the model, not fits.
/// </remarks>
public static class LpuCalibration
{
    public const double GroqOpLatencyCycles = 1780;
}
