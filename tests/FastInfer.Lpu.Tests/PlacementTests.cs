using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Tests;

public class PlacementTests
{
    public static TheoryData<string, int, long> Systems => new()
    {
        { "stories15M", 4, 230L << 20 },
        { "stories110M", 32, 8L << 20 },    // small SRAM forces many stages
        { "tinyllama-1.1b", 64, 230L << 20 },
        { "llama3-8b", 72, 230L << 20 },
        { "mixtral-8x7b", 512, 230L << 20 },
    };

    [Theory]
    [MemberData(nameof(Systems))]
    public void Every_weight_tile_is_placed_exactly_once_within_its_chips_SRAM(string model, int chips, long sram)
    {
        var shape = LpuModelShapes.ByName(model);
        var program = LpuCompiler.Compile(shape, Programs.GroqWithSram(chips, sram));
        Assert.True(program.Fits, $"{model} should fit {chips} chips");

        // Each tensor is covered by its tiles exactly: contiguous, no overlap, no gap.
        var expected = ExpectedExtents(shape);
        var groups = program.Tiles.GroupBy(t => (t.Tensor, t.Layer, t.Expert)).ToDictionary(g => g.Key, g => g.OrderBy(t => t.Start).ToList());
        Assert.Equal(expected.Keys.OrderBy(k => k).ToArray(), groups.Keys.OrderBy(k => k).ToArray());
        foreach (var (key, extent) in expected)
        {
            int at = 0;
            foreach (var tile in groups[key])
            {
                Assert.Equal(at, tile.Start);
                Assert.True(tile.End > tile.Start);
                at = tile.End;
            }
            Assert.Equal(extent, at);
        }

        long weightBytes = program.Tiles.Where(t => t.Tensor != LpuTensor.KvCache).Sum(t => t.Bytes);
        Assert.Equal((long)(shape.TotalWeights * shape.WeightBytes), weightBytes);
        Assert.Equal(shape.Layers * shape.KvCacheBytesPerLayer, program.Tiles.Where(t => t.Tensor == LpuTensor.KvCache).Sum(t => t.Bytes));

        Assert.Equal(program.Tiles.Count, program.Tiles.Select(t => t.Id).Distinct().Count());
        for (int chip = 0; chip < program.Spec.Chips; chip++)
        {
            long used = program.Tiles.Where(t => t.Chip == chip).Sum(t => t.Bytes);
            Assert.Equal(used, program.SramUsed[chip]);
            Assert.True(used <= program.UsableSramPerChip && program.UsableSramPerChip <= program.Spec.SramBytesPerChip);
        }
    }

    [Theory]
    [MemberData(nameof(Systems))]
    public void Stages_hold_consecutive_units_on_disjoint_chips(string model, int chips, long sram)
    {
        var shape = LpuModelShapes.ByName(model);
        var program = LpuCompiler.Compile(shape, Programs.GroqWithSram(chips, sram));
        int unit = 0, chip = 0;
        foreach (var stage in program.Stages)
        {
            Assert.Equal(unit, stage.FirstUnit);
            Assert.Equal(chip, stage.FirstChip);
            Assert.Equal(program.StageWidth, stage.Width);
            unit = stage.LastUnit + 1;
            chip += stage.Width;
        }
        Assert.Equal(LpuUnits.Count(shape), unit);
        Assert.True(program.ChipsUsed <= chips);
        // A layer's tiles never leave its stage.
        foreach (var tile in program.Tiles)
        {
            int u = tile.Tensor == LpuTensor.TokenEmbedding ? 0 : tile.Tensor == LpuTensor.Output ? LpuUnits.Head(shape) : tile.Layer + 1;
            var stage = program.Stages.Single(s => s.FirstUnit <= u && u <= s.LastUnit);
            Assert.InRange(tile.Chip, stage.FirstChip, stage.FirstChip + stage.Width - 1);
        }
    }

    [Fact]
    public void Tied_embeddings_are_stored_once_with_the_head()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("stories15M"), GroqChip1.Spec(8));
        Assert.DoesNotContain(program.Tiles, t => t.Tensor == LpuTensor.TokenEmbedding);
        Assert.Contains(program.Tiles, t => t.Tensor == LpuTensor.Output);
    }

    private static Dictionary<(LpuTensor, int, int), int> ExpectedExtents(LpuModelShape shape)
    {
        var extents = new Dictionary<(LpuTensor, int, int), int>();
        if (!shape.TiedEmbeddings)
            extents[(LpuTensor.TokenEmbedding, -1, -1)] = shape.Vocabulary;
        extents[(LpuTensor.Output, -1, -1)] = shape.Vocabulary;
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            extents[(LpuTensor.Query, layer, -1)] = shape.QueryDimension;
            extents[(LpuTensor.Key, layer, -1)] = shape.KvDimension;
            extents[(LpuTensor.Value, layer, -1)] = shape.KvDimension;
            extents[(LpuTensor.AttentionOutput, layer, -1)] = shape.Embedding;
            extents[(LpuTensor.KvCache, layer, -1)] = shape.KvHeads;
            if (shape.IsMixtureOfExperts)
            {
                extents[(LpuTensor.Router, layer, -1)] = shape.Experts;
                for (int e = 0; e < shape.Experts; e++)
                {
                    extents[(LpuTensor.ExpertGate, layer, e)] = shape.FeedForward;
                    extents[(LpuTensor.ExpertUp, layer, e)] = shape.FeedForward;
                    extents[(LpuTensor.ExpertDown, layer, e)] = shape.Embedding;
                }
            }
            else
            {
                extents[(LpuTensor.FeedForwardGate, layer, -1)] = shape.FeedForward;
                extents[(LpuTensor.FeedForwardUp, layer, -1)] = shape.FeedForward;
                extents[(LpuTensor.FeedForwardDown, layer, -1)] = shape.Embedding;
            }
        }
        return extents;
    }
}
