namespace FastInfer.Engine.Formats.Gguf;

/// <summary>
/// Produces a tensor's values on demand while it is written: fill <paramref name="rows"/> with the rows
/// starting at <paramref name="firstRow"/> (a row is Dimensions[0] elements). Calls come in row order,
/// so a sequential random generator gives the same values however the rows are chunked.
/// </summary>
public delegate void TensorFill(long firstRow, Span<float> rows);
