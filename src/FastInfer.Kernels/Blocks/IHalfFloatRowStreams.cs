namespace FastInfer.Kernels.Blocks;

/// <summary>
/// Where the rows of a <see cref="HalfFloatRowGroups.Eight512{T, TRows}"/> pass advance and what is asked for ahead of them:
/// each row moves <see cref="StepBytes"/> per 32 columns.
/// </summary>
internal unsafe interface IHalfFloatRowStreams
{
    static abstract long StepBytes { get; }

    /// <summary>Asks for lines ahead of the step <paramref name="at"/> bytes into each row (rows 0–3 from
    /// <paramref name="first"/>, 4–7 from <paramref name="second"/>, <paramref name="rowStride"/> bytes apart).</summary>
    static abstract void PrefetchAhead(byte* first, byte* second, long rowStride, long at);
}
