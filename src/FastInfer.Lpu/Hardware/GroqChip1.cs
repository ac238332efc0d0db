namespace FastInfer.Lpu.Hardware;

/// <summary>
/// GroqChip 1 (TSP v1) from published figures. Sources are the entries of /work/shared/docs/groq-lpu-facts.md;
/// each constant names its source and trust class ([PAPER], [VENDOR], [3P], [2ND], [DERIVED]).
/// </summary>
public static class GroqChip1
{
    public const string Name = "groqchip1";

    /// <summary>The system Groq runs Llama-2-70B on: 8 racks of 72 chips ("the 576-chip system", [3P];
    /// "574-576 TSPs across 8-9 racks", [2ND] citing Next Platform 2023-11-27).</summary>
    public const int DefaultChips = 576;

    public static LpuSpec Spec(int chips = DefaultChips) => new()
    {
        Name = Name,
        Chips = chips,
        // 900 MHz nominal: Abts et al., ISCA 2020 abstract [PAPER].
        ClockHz = 900e6,
        // 220 MiB per TSP: ISCA 2022 abstract [PAPER] (= the "230 MB" of the product brief [VENDOR]).
        SramBytesPerChip = 220L * 1024 * 1024,
        // 80 TB/s on-chip memory bandwidth: product spec sheet as relayed by TechPowerUp and 01.me [VENDOR].
        SramReadBytesPerSecond = 80e12,
        // Weights reach the MXM over the stream fabric: 64 stream lanes (32 east + 32 west) of 320-byte vectors,
        // one vector per lane per cycle [2ND, 2020 ISCA workshop deck: "20 TiB/s aggregate"]:
        // 64 x 320 B x 0.9 GHz = 18.4 TB/s [DERIVED]. Batch-1 decode uses each weight once, so this, not the
        // 80 TB/s of the arrays, is the rate a matrix-vector product can consume weights.
        StreamBytesPerSecond = 64 * 320 * 900e6,
        // 750 TOPS int8 and 188 TFLOPS fp16 at 900 MHz: GroqChip product brief via ALCF docs [VENDOR];
        // 4 MXM x 320 x 320 MAC x 2 x 0.9 GHz = 737 TOPS [DERIVED] agrees.
        PeakInt8OpsPerSecond = 750e12,
        PeakFp16FlopsPerSecond = 188e12,
        // 16 C2C links, 4 lanes x 30 Gb/s (28 Gb/s cabled) = 14 GB/s per direction per link:
        // Linley Group "Groq Gets Connected", 2020-11-10 [3P].
        LinksPerChip = 16,
        LinkBytesPerSecond = 14e9,
        // No primary per-hop figure exists. ISCA 2022 abstract [PAPER]: "< 3 us end-to-end" over a Dragonfly of
        // diameter <= 5 hops, i.e. <= 0.6 us per hop including the endpoint alignment. We split that bound into
        // 0.5 us per hop (serdes, FEC, cable and the stream to the C2C slice) and 0.5 us of alignment per message
        // (SyncSeconds below): 5 x 0.5 + 0.5 = 3.0 us, exactly the published end-to-end bound.
        HopLatencySeconds = 0.5e-6,
        // GroqNode = 8 GroqCards; GroqRack = 9 nodes = 72 chips: ALCF system overview [VENDOR].
        ChipsPerNode = 8,
        ChipsPerRack = 72,
        // Activations travel between chips as fp16 (the MXM accumulates in fp32 and the VXM rounds) [2ND deck numerics].
        ActivationBytes = 2,
        OpLatencyCycles = LpuCalibration.GroqOpLatencyCycles,
        // Chips run plesiochronously; the compiler pads each receive with a deskew margin (ISCA 2022 software-aligned
        // counters [PAPER]). See HopLatencySeconds for how 0.5 us follows from the 3 us end-to-end bound.
        SyncSeconds = 0.5e-6,
        // The token loop runs on the chips: the schedule samples the next token (head.sample) and sends it back to the
        // first stage over C2C (head.next_token), and the host only collects the tokens as they stream out. No figure
        // is published for a host cost per token, and none sits on the critical path, so none is charged.
        TokenOverheadSeconds = 0,
    };
}
