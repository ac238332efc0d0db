using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Generation;
using FastInfer.Engine.Sampling;
using FastInfer.Engine.Tests.Formats;
using FastInfer.Kernels;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Mixtral;

/// <summary>
/// Real trained weights through the mixture-of-experts path: stories260K's 172 hidden units split into 4 experts of
/// 43, a zero router (softmax gives each expert exactly 1/4, top-4 keeps all and renormalising leaves 1/4) and down
/// projections scaled by 4, so the experts' weighted sum is the dense FFN up to summation order. Greedy text over
/// 256 tokens must then be llama2.c's, for both GGUF expert layouts.
/// </summary>
public class DenseEquivalenceTests
{
    private const int Experts = 4;

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExpertsSplittingTheDenseFfnGenerateTheDenseText(bool mergedLayout)
    {
        string expected = File.ReadAllText(TestModels.Require(Path.Combine("expected", "stories260K.run_t0_noprompt.txt"))).TrimEnd('\n');
        using var file = new TempFile("stories260K-moe.gguf");
        using (var dense = GgufFile.Open(TestModels.Require("stories260K.gguf")))
            WriteAsExperts(dense, mergedLayout).Write(file.Path);

        using var model = LlamaModel.Load(file.Path, new ModelLoadOptions { Threads = 2 });
        Assert.Equal(Experts, model.Config.ExpertCount);
        Assert.Equal(Experts, model.Config.ExpertUsedCount);
        Assert.All(model.Weights.Layers, layer => Assert.Null(layer.Dense));
        using var session = model.CreateSession();
        string text = string.Concat(session.Generate("", new GenerationSettings { MaxTokens = 256, Sampling = SamplingSettings.Greedy }));
        Assert.Equal(expected, text);
    }

    /// <summary>The dense file's metadata and tensors, with each layer's FFN rewritten as <see cref="Experts"/> experts.</summary>
    private static GgufWriter WriteAsExperts(GgufFile dense, bool merged)
    {
        int hidden = dense.GetInt32("llama.feed_forward_length");
        int dim = dense.GetInt32("llama.embedding_length");
        Assert.Equal(0, hidden % Experts);
        int share = hidden / Experts;

        var writer = new GgufWriter(dense.Alignment);
        foreach (var (key, value) in dense.Metadata)
        {
            if (key != GgufFile.AlignmentKey)
                writer.SetMetadata(key, value);
        }
        writer.SetMetadata("llama.feed_forward_length", GgufValue.Of((uint)share))
            .SetMetadata("llama.expert_count", GgufValue.Of((uint)Experts))
            .SetMetadata("llama.expert_used_count", GgufValue.Of((uint)Experts));

        foreach (var tensor in dense.Tensors)
        {
            string[] parts = tensor.Name.Split('.');
            string? projection = parts is ["blk", _, var p, "weight"] && p is "ffn_gate" or "ffn_up" or "ffn_down" ? p : null;
            if (projection is null)
            {
                writer.AddTensorBytes(tensor.Name, tensor.Type, TensorBytes.Of(tensor), tensor.Dimensions);
                continue;
            }
            Assert.Equal(GgmlType.F32, tensor.Type);
            string block = $"blk.{parts[1]}.";
            var values = tensor.Floats().ToArray();
            // gate/up are [dim, hidden] (rows are hidden units); down is [hidden, dim] (columns are hidden units).
            var slices = Enumerable.Range(0, Experts)
                .Select(e => projection == "ffn_down" ? DownSlice(values, dim, hidden, e * share, share) : values.AsSpan(e * share * dim, share * dim).ToArray())
                .ToArray();
            long[] sliceDims = projection == "ffn_down" ? [share, dim] : [dim, share];
            if (merged)
                writer.AddTensor($"{block}{projection}_exps.weight", GgmlType.F32, slices.SelectMany(s => s).ToArray(), [.. sliceDims, Experts]);
            else
            {
                for (int e = 0; e < Experts; e++)
                    writer.AddTensor($"{block}{projection}.{e}.weight", GgmlType.F32, slices[e], sliceDims);
            }
            if (projection == "ffn_gate")
                writer.AddTensor(block + "ffn_gate_inp.weight", GgmlType.F32, new float[dim * Experts], dim, Experts);
        }
        return writer;
    }

    /// <summary>Columns [first, first+count) of each of the <paramref name="rows"/> rows, times the expert count.</summary>
    private static float[] DownSlice(float[] down, int rows, int columns, int first, int count)
    {
        var slice = new float[rows * count];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < count; c++)
                slice[r * count + c] = down[r * columns + first + c] * Experts;
        }
        return slice;
    }
}
