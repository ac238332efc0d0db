namespace FastInfer.Kernels.Ops.FloatGemm;

/// <summary>
/// How <see cref="FloatGemm"/> splits a chunk's tokens into register tiles: as few tiles as the widest tile allows, with
/// the token vectors shared out evenly among them (the wider ones first). Filling tiles to the full width left the
/// remainder in one narrow last tile, and a one-vector tile has too few independent FMA chains to cover the FMA latency
/// (on AVX2, four chains for two pipes of four-cycle FMAs): 128 tokens were five 24-token tiles and an 8-token one
/// there, and are now four of 24 and two of 16, in the same number of tiles (alternated call by call with the old split
/// in a trial harness on the Zen 3, on one thread and on two, faster in most rounds, by a few percent). A tile's outputs
/// take the columns of its tokens, so the transposed outputs are indexed by token.
/// </summary>
internal readonly struct TokenTiles
{
    private readonly int _lanes, _narrowVectors, _wideTiles;

    /// <param name="tokens">the chunk's tokens, at least one.</param>
    /// <param name="lanes">floats per vector.</param>
    /// <param name="maxVectors">vectors of the widest register tile.</param>
    public TokenTiles(int tokens, int lanes, int maxVectors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        int vectors = (tokens + lanes - 1) / lanes;
        Count = (vectors + maxVectors - 1) / maxVectors;
        _lanes = lanes;
        _narrowVectors = vectors / Count;
        _wideTiles = vectors % Count;
        Columns = vectors * lanes;
    }

    /// <summary>How many tiles.</summary>
    public int Count { get; }

    /// <summary>The token vectors of every tile together, in floats: the width of the transposed outputs.</summary>
    public int Columns { get; }

    /// <summary>Token vectors of <paramref name="tile"/>: one more in the first tiles where they do not share out evenly.</summary>
    public int Vectors(int tile) => _narrowVectors + (tile < _wideTiles ? 1 : 0);

    /// <summary>Tokens <paramref name="tile"/>'s vectors span (past the chunk's end for the last tile where the chunk is no
    /// multiple of the vector width).</summary>
    public int Width(int tile) => Vectors(tile) * _lanes;

    /// <summary>The first token of <paramref name="tile"/> (a multiple of the vector width).</summary>
    public int FirstToken(int tile) => (tile * _narrowVectors + Math.Min(tile, _wideTiles)) * _lanes;
}
