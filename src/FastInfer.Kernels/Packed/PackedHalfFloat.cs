using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// The packed layout of F16 and BF16 matrices whose column count is a multiple of <see cref="StepColumns"/>. Each group of
/// eight rows is stored as two halves of four rows, lanes 0–3 in a first region and lanes 4–7 in a second one
/// (<see cref="PackedView.SecondHalf"/> bytes on), the groups one after another in each region. Within a half, each step of
/// 32 columns holds the four rows' 64 bytes side by side, so a half reads as one forward stream, and a thread's run of groups
/// as two (one per region). The values are the file's own 16-bit floats, untouched; padding rows are zeros.
/// </summary>
/// <remarks>
/// The eight-rows-per-pass kernel over the file's rows (<see cref="Blocks.HalfFloatRowGroups"/>) reads eight streams of one
/// row each and jumps to the next group every 8 KiB (4096 columns); this layout gives the same kernel two long streams. In
/// trial runs outside the repository (a 11008×4096 F16 matrix cycled through copies from DRAM, two threads, the layouts
/// alternated call by call in one process) this layout streamed faster than the rows in every run, and one interleaved
/// stream of all eight rows per group slower. `bench-kernels` shows the effect (docs/performance-log.md).
/// </remarks>
internal static unsafe class PackedHalfFloat
{
    public const int HalfRows = PackedLayout.GroupRows / 2;
    public const int StepColumns = 32;
    public const int PieceBytes = StepColumns * sizeof(ushort);
    public const int StepBytes = HalfRows * PieceBytes;

    /// <summary>True for the 16-bit float types this layout holds.</summary>
    public static bool Holds(GgmlType type) => type is GgmlType.F16 or GgmlType.BF16;

    /// <summary>Only the 512-bit path reads this layout (its kernel keeps eight rows of two accumulators in registers).</summary>
    public static bool IsReadOn(IsaPath path) => path >= IsaPath.Avx512;

    /// <summary>True when a matrix of <paramref name="columns"/> columns fills whole steps (every Llama projection does).</summary>
    public static bool Fits(int columns) => columns > 0 && columns % StepColumns == 0;

    /// <summary>Bytes of one half of a group: four rows.</summary>
    public static long HalfGroupBytes(int columns) => (long)HalfRows * columns * sizeof(ushort);

    /// <summary>Where row <paramref name="row"/> of <paramref name="view"/>'s matrix keeps columns
    /// <paramref name="column"/>.. <paramref name="column"/>+31 (<paramref name="column"/> a multiple of 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Piece(in PackedView view, int row, int column)
    {
        int lane = view.RowOffset + row;
        int inGroup = lane % PackedLayout.GroupRows;
        return (byte*)view.FirstGroup + lane / PackedLayout.GroupRows * view.GroupBytes + inGroup / HalfRows * view.SecondHalf
            + (long)(column / StepColumns) * StepBytes + inGroup % HalfRows * PieceBytes;
    }

    /// <summary>Writes whole groups of the layout into <see cref="Memory"/> from the file's rows.</summary>
    internal struct PackJob : IRowJob
    {
        public WeightMatrix Weights;
        public byte* Memory;
        public long SecondHalf;

        // Runs once per matrix, so tiered compilation would leave this loop in unoptimized code for most of the work.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int firstGroup, int endGroup)
        {
            int steps = Weights.Columns / StepColumns;
            long halfBytes = HalfGroupBytes(Weights.Columns);
            for (int g = firstGroup; g < endGroup; g++)
            {
                for (int lane = 0; lane < PackedLayout.GroupRows; lane++)
                {
                    int row = g * PackedLayout.GroupRows + lane;
                    byte* to = Memory + lane / HalfRows * SecondHalf + g * halfBytes + lane % HalfRows * PieceBytes;
                    byte* from = (byte*)Weights.Data + (long)row * Weights.RowBytes;
                    for (int s = 0; s < steps; s++, to += StepBytes)
                    {
                        if (row < Weights.Rows)
                            Buffer.MemoryCopy(from + s * PieceBytes, to, PieceBytes, PieceBytes);
                        else
                            NativeMemory.Clear(to, PieceBytes);
                    }
                }
            }
        }
    }
}
