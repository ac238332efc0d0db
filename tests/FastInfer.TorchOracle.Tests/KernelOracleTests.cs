using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;
using TorchSharp;
using static FastInfer.TorchOracle.Tests.TorchConvert;
using static TorchSharp.torch;

namespace FastInfer.TorchOracle.Tests;

/// <summary>FastInfer's kernels against PyTorch's own operators on random inputs.</summary>
public unsafe class KernelOracleTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 65)]
    [InlineData(256, 1000)]
    public void F32_matrix_vector_product_matches_torch_matmul(int rows, int columns)
    {
        var w = Random(rows * columns, 1);
        var x = Random(columns, 2);
        var expected = ToArray(matmul(FromArray(w, rows, columns), FromArray(x, columns)));
        var y = new float[rows];
        fixed (float* pw = w)
        {
            var matrix = new WeightMatrix((nint)pw, (long)w.Length * sizeof(float), GgmlType.F32, rows, columns);
            using var pool = new ComputePool(2);
            MatVec.Multiply(matrix, x, y, pool);
        }
        AssertClose(expected, y, relative: 1e-5, absolute: 1e-5, "matvec");
        Assert.Equal(expected[0], Dot.F32(w.AsSpan(0, columns), x), 1e-4f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(288)]
    [InlineData(4099)]
    public void RmsNorm_matches_torch(int n)
    {
        var x = Random(n, 3, 4f);
        var w = Random(n, 4);
        var tx = FromArray(x, n);
        var expected = ToArray(tx * rsqrt(tx.pow(2).mean() + 1e-6f) * FromArray(w, n));
        var y = new float[n];
        Norms.RmsNorm(x, w, 1e-6f, y);
        AssertClose(expected, y, relative: 1e-5, absolute: 1e-6, "rmsnorm");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(32000)]
    public void Softmax_matches_torch(int n)
    {
        var x = Random(n, 5, 30f);
        var expected = ToArray(FromArray(x, n).softmax(0));
        VectorOps.Softmax(x);
        AssertClose(expected, x, relative: 1e-5, absolute: 1e-9, "softmax");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(11008)]
    public void SiluMul_matches_torch(int n)
    {
        var gate = Random(n, 6, 20f);
        var up = Random(n, 7);
        var expected = ToArray(nn.functional.silu(FromArray(gate, n)) * FromArray(up, n));
        Activations.SiluMul(gate, up);
        AssertClose(expected, gate, relative: 1e-5, absolute: 1e-7, "silu·up");
    }

    [Theory]
    [InlineData(RopeLayout.Interleaved, 64, 64)]
    [InlineData(RopeLayout.HalfSplit, 64, 64)]
    [InlineData(RopeLayout.HalfSplit, 128, 64)]
    [InlineData(RopeLayout.Interleaved, 48, 48)]
    public void Rope_matches_explicit_torch_rotation(RopeLayout layout, int headDim, int rotaryDim)
    {
        const int heads = 4, position = 1234;
        const double theta = 500000;
        var x = Random(heads * headDim, 8);
        // Angles in float64 as the reference implementations do, then the rotation in float32.
        var inverseFrequency = 1.0 / pow(theta, arange(0, rotaryDim, 2, dtype: ScalarType.Float64) / rotaryDim);
        var angle = inverseFrequency * position;
        var cos = angle.cos().to(ScalarType.Float32);
        var sin = angle.sin().to(ScalarType.Float32);
        var t = FromArray(x, heads, headDim);
        var rotary = t[.., ..rotaryDim];
        Tensor rotated;
        if (layout == RopeLayout.Interleaved)
        {
            // llama.cpp / llama2.c: adjacent pairs.
            var pairs = rotary.reshape(heads, rotaryDim / 2, 2);
            var a = pairs[.., .., 0];
            var b = pairs[.., .., 1];
            rotated = stack([a * cos - b * sin, a * sin + b * cos], -1).reshape(heads, rotaryDim);
        }
        else
        {
            // Hugging Face: x·cos + rotate_half(x)·sin over the two halves.
            var halfCos = cat([cos, cos]);
            var halfSin = cat([sin, sin]);
            var firstHalf = rotary[.., ..(rotaryDim / 2)];
            var secondHalf = rotary[.., (rotaryDim / 2)..];
            rotated = rotary * halfCos + cat([-secondHalf, firstHalf], -1) * halfSin;
        }
        var expected = ToArray(cat([rotated, t[.., rotaryDim..]], -1));
        var table = new RopeTable(headDim, rotaryDim, 2048, (float)theta, layout);
        table.Apply(x, heads, position);
        AssertClose(expected, x, relative: 1e-5, absolute: 1e-5, "rope");
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 5, 0)]
    [InlineData(4, 9, 0)]
    [InlineData(2, 9, 6)]
    public void Attention_matches_scaled_dot_product_attention(int group, int queryCount, int slidingWindow)
    {
        const int kvHeads = 2, headDim = 32, firstPosition = 70;
        int heads = kvHeads * group, positions = firstPosition + queryCount;
        var q = Random(queryCount * heads * headDim, 9);
        var k = Random(positions * kvHeads * headDim, 10);
        var v = Random(positions * kvHeads * headDim, 11);

        // Causal mask aligned to the end: query i at position firstPosition + i sees keys up to its own position.
        var mask = new float[queryCount * positions];
        for (int i = 0; i < queryCount; i++)
            for (int t = 0; t < positions; t++)
            {
                int p = firstPosition + i;
                bool visible = t <= p && (slidingWindow == 0 || t > p - slidingWindow);
                mask[i * positions + t] = visible ? 0f : float.NegativeInfinity;
            }
        var tq = FromArray(q, queryCount, heads, headDim).permute(1, 0, 2).unsqueeze(0);
        var tk = FromArray(k, positions, kvHeads, headDim).permute(1, 0, 2).repeat_interleave(group, 0).unsqueeze(0);
        var tv = FromArray(v, positions, kvHeads, headDim).permute(1, 0, 2).repeat_interleave(group, 0).unsqueeze(0);
        var attended = nn.functional.scaled_dot_product_attention(tq, tk, tv, FromArray(mask, queryCount, positions));
        var expected = ToArray(attended.squeeze(0).permute(1, 0, 2));

        var output = new float[q.Length];
        using var pool = new ComputePool(2);
        Attention.Prefill(q, queryCount, firstPosition, k, v, heads, kvHeads, headDim, output, pool, slidingWindow);
        AssertClose(expected, output, relative: 1e-4, absolute: 1e-5, "attention");

        var halfOutput = new float[q.Length];
        var kh = k.Select(f => (Half)f).ToArray();
        var vh = v.Select(f => (Half)f).ToArray();
        Attention.Prefill(q, queryCount, firstPosition, kh, vh, heads, kvHeads, headDim, halfOutput, pool, slidingWindow);
        // The F16 cache rounds K and V to 11 significant bits.
        AssertClose(expected, halfOutput, relative: 5e-3, absolute: 2e-3, "attention (F16 cache)");
    }
}
