using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// What <see cref="FloatGemm"/>'s blocking skeleton takes from one vector width: the register tile it is built around
/// and the cache blocks sized for that tile. A struct per width, so the JIT compiles the skeleton once for each.
/// </summary>
internal unsafe interface IFloatGemmShape
{
    /// <summary>The kernel path the shape's vectors belong to (it decides, among others, whether packed copies are read).</summary>
    static abstract IsaPath Path { get; }

    /// <summary>Weight rows of a register tile; a thread's share of rows starts on a multiple of it.</summary>
    static abstract int TileRows { get; }

    /// <summary>Tokens of a register tile: the width of a packed activation tile.</summary>
    static abstract int TileTokens { get; }

    /// <summary>Floats in one vector: a tile's token vectors are counted in these.</summary>
    static abstract int Lanes { get; }

    /// <summary>Columns of a depth slice: the activation tile of this depth stays in L1 while every panel of a row block meets it.</summary>
    static abstract int DepthBlock { get; }

    /// <summary>Rows whose transposed outputs and widened slice a thread keeps in L2 while the depth is walked.</summary>
    static abstract int BlockRows { get; }

    /// <summary>Tokens packed at a time; a multiple of <see cref="TileTokens"/>.</summary>
    static abstract int ChunkTokens { get; }

    /// <summary>The register tile's product (see <see cref="FloatTile512.Multiply{TV}(float*, long, int, float*, int, float*, int, bool, byte*, long, int, int)"/>)
    /// over <paramref name="vectors"/> token vectors, 1 to <see cref="TileTokens"/> / <see cref="Lanes"/>.</summary>
    static abstract void Multiply(int vectors, float* w, long wStride, int rows, float* x, int depth, float* c, int ldc, bool accumulate,
        byte* next, long nextStride, int nextRows, int nextBytesPerStep);

    /// <summary>dst[k] = element k of <paramref name="src"/> as F32, for k &lt; <paramref name="count"/>.</summary>
    static abstract void Widen<T>(byte* src, float* dst, int count) where T : struct, IFloatBlock;
}
