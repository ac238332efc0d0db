using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Compiler;

/// <summary>
/// How one unit's tensors are cut over the <c>width</c> chips of its stage (tensor parallelism inside a layer).
/// Every matrix is cut by output rows, never along a reduction, so each output element is one whole dot product on
/// one chip: the results do not depend on the chip count, and a tile is a zero-copy row slice of the weights.
/// Attention goes by KV-head groups (a group's query heads, K/V rows and KV cache stay on one chip, so attention
/// itself needs no traffic); the output projection, FFN and MoE experts by rows (FFN hidden rows in whole vector
/// widths, so element-wise work on a slice runs exactly as on the whole vector); MoE experts each on their own chips
/// (or several experts per chip when there are more experts than chips); embedding and output head by vocabulary rows.
/// </summary>
internal static class UnitPartition
{
    /// <summary>[start, end) of part <paramref name="index"/> when <paramref name="count"/> items are cut into
    /// <paramref name="parts"/> nearly equal parts; empty parts happen when parts exceed items.</summary>
    public static (int Start, int End) Part(int count, int parts, int index) =>
        ((int)((long)count * index / parts), (int)((long)count * (index + 1) / parts));

    /// <summary>Hidden rows per chip come in multiples of this (one 512-bit vector of floats).</summary>
    public const int RowAlignment = 16;

    /// <summary>Like <see cref="Part"/>, with every boundary but the last a multiple of <paramref name="align"/>.</summary>
    public static (int Start, int End) PartAligned(int count, int parts, int index, int align)
    {
        int units = (count + align - 1) / align;
        var (s, e) = Part(units, parts, index);
        return ((int)Math.Min(count, (long)s * align), (int)Math.Min(count, (long)e * align));
    }

    public static List<TileSlice> Slices(LpuModelShape shape, int unit, int width)
    {
        var slices = new List<TileSlice>();
        if (unit == 0)
        {
            // Tied models keep the one table with the output head, which sends the embedding row back to stage 0.
            if (!shape.TiedEmbeddings)
                AddRows(slices, shape, LpuTensor.TokenEmbedding, -1, -1, shape.Vocabulary, shape.Embedding, 0, width);
        }
        else if (unit == LpuUnits.Head(shape))
        {
            AddRows(slices, shape, LpuTensor.Output, -1, -1, shape.Vocabulary, shape.Embedding, 0, width);
        }
        else
        {
            int layer = LpuUnits.LayerOf(unit);
            AddAttention(slices, shape, layer, width);
            if (shape.IsMixtureOfExperts)
                AddExperts(slices, shape, layer, width);
            else
                AddFeedForward(slices, shape, layer, -1, 0, width);
        }
        return slices;
    }

    /// <summary>Bytes each member of the group holds for this unit.</summary>
    public static long[] BytesPerMember(List<TileSlice> slices, int width)
    {
        var bytes = new long[width];
        foreach (var s in slices)
            bytes[s.Member] += s.Bytes;
        return bytes;
    }

    /// <summary>The chips (as members) that hold expert <paramref name="expert"/> of a group of <paramref name="width"/>.</summary>
    public static (int First, int Count) ExpertMembers(LpuModelShape shape, int expert, int width)
    {
        if (width >= shape.Experts)
        {
            var (start, end) = Part(width, shape.Experts, expert);
            return (start, end - start);
        }
        return ((int)((long)expert * width / shape.Experts), 1);
    }

    private static void AddAttention(List<TileSlice> slices, LpuModelShape shape, int layer, int width)
    {
        int hd = shape.HeadDimension, d = shape.Embedding, qPerKv = shape.QueriesPerKvHead;
        for (int m = 0; m < width; m++)
        {
            var (g0, g1) = Part(shape.KvHeads, width, m);
            if (g0 == g1)
                continue;
            int q0 = g0 * qPerKv * hd, q1 = g1 * qPerKv * hd, k0 = g0 * hd, k1 = g1 * hd;
            slices.Add(Matrix(shape, LpuTensor.Query, layer, -1, m, q0, q1, d));
            slices.Add(Matrix(shape, LpuTensor.Key, layer, -1, m, k0, k1, d));
            slices.Add(Matrix(shape, LpuTensor.Value, layer, -1, m, k0, k1, d));
            long cache = (long)Math.Ceiling(2.0 * (g1 - g0) * hd * shape.Context * shape.KvBytes);
            slices.Add(new TileSlice(LpuTensor.KvCache, layer, -1, m, g0, g1, cache));
        }
        AddRows(slices, shape, LpuTensor.AttentionOutput, layer, -1, d, shape.QueryDimension, 0, width);
    }

    private static void AddFeedForward(List<TileSlice> slices, LpuModelShape shape, int layer, int expert, int firstMember, int members)
    {
        var (gate, up, down) = expert < 0
            ? (LpuTensor.FeedForwardGate, LpuTensor.FeedForwardUp, LpuTensor.FeedForwardDown)
            : (LpuTensor.ExpertGate, LpuTensor.ExpertUp, LpuTensor.ExpertDown);
        for (int i = 0; i < members; i++)
        {
            int m = firstMember + i;
            var (r0, r1) = PartAligned(shape.FeedForward, members, i, RowAlignment);
            if (r0 != r1)
            {
                slices.Add(Matrix(shape, gate, layer, expert, m, r0, r1, shape.Embedding));
                slices.Add(Matrix(shape, up, layer, expert, m, r0, r1, shape.Embedding));
            }
            var (d0, d1) = Part(shape.Embedding, members, i);
            if (d0 != d1)
                slices.Add(Matrix(shape, down, layer, expert, m, d0, d1, shape.FeedForward));
        }
    }

    private static void AddExperts(List<TileSlice> slices, LpuModelShape shape, int layer, int width)
    {
        AddRows(slices, shape, LpuTensor.Router, layer, -1, shape.Experts, shape.Embedding, 0, width);
        for (int e = 0; e < shape.Experts; e++)
        {
            var (first, count) = ExpertMembers(shape, e, width);
            AddFeedForward(slices, shape, layer, e, first, count);
        }
    }

    private static void AddRows(List<TileSlice> slices, LpuModelShape shape, LpuTensor tensor, int layer, int expert, int rows, int columns, int firstMember, int members)
    {
        for (int i = 0; i < members; i++)
        {
            var (r0, r1) = Part(rows, members, i);
            if (r0 != r1)
                slices.Add(Matrix(shape, tensor, layer, expert, firstMember + i, r0, r1, columns));
        }
    }

    /// <summary>Rows [start, end) of a matrix whose other side has <paramref name="columns"/> elements.</summary>
    private static TileSlice Matrix(LpuModelShape shape, LpuTensor tensor, int layer, int expert, int member, int start, int end, int columns) =>
        new(tensor, layer, expert, member, start, end, (long)Math.Ceiling((double)(end - start) * columns * shape.WeightBytes));
}
