using FastInfer.Kernels.Ops.FloatGemm;

namespace FastInfer.Kernels.Tests.MatMul;

/// <summary>How the float GEMM shares a chunk's tokens out among its register tiles (<see cref="TokenTiles"/>).</summary>
public class TokenTilesTests
{
    [Fact]
    public void A128TokenChunkOnAvx2IsFourWideTilesAndTwoOfTwoVectors()
    {
        var tiles = new TokenTiles(128, lanes: 8, maxVectors: 3);
        Assert.Equal(6, tiles.Count);
        Assert.Equal([3, 3, 3, 3, 2, 2], Enumerable.Range(0, tiles.Count).Select(tiles.Vectors));
        Assert.Equal([0, 24, 48, 72, 96, 112], Enumerable.Range(0, tiles.Count).Select(tiles.FirstToken));
        Assert.Equal(128, tiles.Columns);
    }

    /// <summary>
    /// For every chunk up to two of the widest chunks and both shapes: the tiles are as few as the widest tile allows,
    /// lie side by side from token 0 over whole vectors that cover the chunk, and differ by at most one vector, the wider
    /// first; so no tile has one vector unless the chunk has only one.
    /// </summary>
    [Theory]
    [InlineData(8, 3)]
    [InlineData(16, 4)]
    public void TilesAreFewestContiguousAndEven(int lanes, int maxVectors)
    {
        for (int tokens = 1; tokens <= 512; tokens++)
        {
            var tiles = new TokenTiles(tokens, lanes, maxVectors);
            int vectors = (tokens + lanes - 1) / lanes;
            Assert.Equal((vectors + maxVectors - 1) / maxVectors, tiles.Count);
            Assert.Equal(vectors * lanes, tiles.Columns);
            int next = 0;
            for (int t = 0; t < tiles.Count; t++)
            {
                Assert.Equal(next, tiles.FirstToken(t));
                Assert.InRange(tiles.Vectors(t), 1, maxVectors);
                Assert.InRange(tiles.Vectors(0) - tiles.Vectors(t), 0, 1);
                if (t > 0)
                    Assert.True(tiles.Vectors(t) <= tiles.Vectors(t - 1), $"{tokens} tokens: tile {t} is wider than tile {t - 1}");
                Assert.Equal(tiles.Vectors(t) * lanes, tiles.Width(t));
                next += tiles.Width(t);
            }
            Assert.Equal(tiles.Columns, next);
            if (vectors > 1)
                Assert.True(tiles.Vectors(tiles.Count - 1) > 1, $"{tokens} tokens: a one-vector tile");
        }
    }

    [Fact]
    public void AnEmptyChunkIsRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => new TokenTiles(0, 8, 3));
}
