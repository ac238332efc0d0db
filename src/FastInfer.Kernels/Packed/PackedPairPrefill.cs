using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Prefill of two groups as one 16-row unit in 512-bit registers (<see cref="PackedPair"/>), for the AVX-512 path where
/// .NET has no vpdpbusd to give it (a CPU without AVX-VNNI, such as a Zen 4: .NET 10 exposes the 512-bit form only as
/// AVX10.1). There the 256-bit tiles spent most of their instructions on Q8_0's sign split (vpsignb has no 512-bit form)
/// and reached about 43% of the 256-bit vpmaddubsw peak, while a 512-bit vpmaddubsw + vpmaddwd chain, two multiplies per
/// 64 products as here, ran at about 90% of that peak on one thread. In `bench-kernels` on a Zen 4, alternated five
/// times with the 256-bit tiles, Q8_0 went from 196–218 to 237–264 GOP/s (one run the host disturbed aside), Q5_0 from
/// 255–283 to 358–461 and Q5_1 from 222–279 to 321–423; Q4_0 and Q4_1 moved with the host in both builds
/// (performance log, session 26).
/// <para>
/// Per block the pair's eight column quads are unpacked once into registers, group A's rows in lanes 0–7 and group B's
/// in 8–15, and every token of the chunk then meets them: a token's four activation bytes per quad are one broadcast.
/// Weights above 15 would let vpmaddubsw saturate, so Q8_0's stored q+128 goes in as its two nibbles (16·high + low),
/// each ≤ 15, as the decode pairs do (<see cref="PairQ8_0Sum"/>); nibble sums of a whole block (eight steps of two
/// products ≤ 15·128) stay exact in int16 and widen once, the high ones weighed by 16. Q5's quants (≤ 31) sum four steps
/// in int16 (<see cref="MaddubsPackedStep.Int16Run"/>), Q4's eight. The int per row and block is the exact dot product of
/// the stored quants, from which the zero-point correction −zp·Σa takes the offset back out; each row's float chain is
/// then <see cref="PackedDot.Scale{TFormat}"/>'s, lane by lane, so every result has the bits of decode.
/// </para>
/// </summary>
internal static unsafe class PackedPairPrefill
{
    /// <summary>The most tokens one call takes: a <see cref="PackedMatMul{TFormat, TStep}"/> token chunk.</summary>
    public const int MaxTokens = 64;

    /// <summary>Whether the format's quants are ones this kernel sums exactly: at most 31 (Q4, Q5) or bytes split into nibbles (Q8_0).</summary>
    public static bool Handles<TFormat>() where TFormat : struct, IPackedFormat => TFormat.MaxQuant is <= 31 or 255;

    /// <summary>
    /// Rows firstRow.. and the next group's of y (tokens×rows, row-major by token) for tokens [firstToken, endToken)
    /// (at most <see cref="MaxTokens"/>), from the pair of groups at <paramref name="group"/> and <paramref name="group"/> +
    /// <paramref name="span"/> and activations prepared with the format's zero point.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Multiply<TFormat>(byte* group, long span, int blocks, in PackedActivations a, int firstToken, int endToken,
        float* y, int firstRow, int rows) where TFormat : struct, IPackedFormat
    {
        int tokens = endToken - firstToken;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, MaxTokens);
        // One row of sixteen float chains per token, in memory: each is touched once per block, and registers go to the
        // weights.
        float* chains = stackalloc float[MaxTokens * 16];
        new Span<float>(chains, tokens * 16).Clear();
        long tokenBytes = a.TokenBytes;
        var sixteens = Vector512.Create((short)16);
        for (int b = 0; b < blocks; b++)
        {
            byte* quants = PackedLayout.Quants(group, b, TFormat.QuantBytesPerBlock);
            var rowScales = PackedPair.Scales(PackedLayout.Scales(group, b, TFormat.QuantBytesPerBlock), span);
            var minimums = TFormat.HasMinimum
                ? Vector512.Create(TFormat.Minimums(quants), TFormat.Minimums(quants + span)) : default;
            // Q8_0's quads as nibbles (l, h), the others' as they are (l); unpacked before the token loop, since the JIT
            // does not lift them out of it.
            Quad<TFormat>(quants, span, 0, out var l0, out var h0); Quad<TFormat>(quants, span, 1, out var l1, out var h1);
            Quad<TFormat>(quants, span, 2, out var l2, out var h2); Quad<TFormat>(quants, span, 3, out var l3, out var h3);
            Quad<TFormat>(quants, span, 4, out var l4, out var h4); Quad<TFormat>(quants, span, 5, out var l5, out var h5);
            Quad<TFormat>(quants, span, 6, out var l6, out var h6); Quad<TFormat>(quants, span, 7, out var l7, out var h7);
            byte* x = a.Quants(firstToken) + 32 * b;
            float* scale = a.Scales(firstToken) + b;
            int* correction = a.Corrections(firstToken) + b;
            float* minimumScale = a.MinimumScales(firstToken) + b;
            float* chain = chains;
            for (int t = 0; t < tokens; t++)
            {
                var x0 = PackedPair.Broadcast(x); var x1 = PackedPair.Broadcast(x + 4);
                var x2 = PackedPair.Broadcast(x + 8); var x3 = PackedPair.Broadcast(x + 12);
                var x4 = PackedPair.Broadcast(x + 16); var x5 = PackedPair.Broadcast(x + 20);
                var x6 = PackedPair.Broadcast(x + 24); var x7 = PackedPair.Broadcast(x + 28);
                var first = (PackedPair.Products(l0, x0) + PackedPair.Products(l1, x1)) + (PackedPair.Products(l2, x2) + PackedPair.Products(l3, x3));
                var second = (PackedPair.Products(l4, x4) + PackedPair.Products(l5, x5)) + (PackedPair.Products(l6, x6) + PackedPair.Products(l7, x7));
                var sum = Vector512.Create(*correction);
                if (TFormat.MaxQuant == 255)
                {
                    var high = ((PackedPair.Products(h0, x0) + PackedPair.Products(h1, x1)) + (PackedPair.Products(h2, x2) + PackedPair.Products(h3, x3)))
                        + ((PackedPair.Products(h4, x4) + PackedPair.Products(h5, x5)) + (PackedPair.Products(h6, x6) + PackedPair.Products(h7, x7)));
                    sum += PackedPair.Widen(first + second) + Avx512Ops.MultiplyAddAdjacent(high, sixteens);
                }
                else if (MaddubsPackedStep.Int16Run(TFormat.MaxQuant) >= 8)
                {
                    sum += PackedPair.Widen(first + second);
                }
                else
                {
                    sum += PackedPair.Widen(first) + PackedPair.Widen(second);
                }
                var acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), rowScales * Vector512.Create(*scale), Vector512.Load(chain));
                if (TFormat.HasMinimum)
                    acc = Vector512.FusedMultiplyAdd(minimums, Vector512.Create(*minimumScale), acc);
                acc.Store(chain);
                chain += 16;
                x += tokenBytes;
                scale = (float*)((byte*)scale + tokenBytes);
                correction = (int*)((byte*)correction + tokenBytes);
                minimumScale = (float*)((byte*)minimumScale + tokenBytes);
            }
        }
        PackedPair.StoreTokens(chains, tokens, y, firstToken, firstRow, rows);
    }

    /// <summary>
    /// Column quad k of both groups' unpacked quants, group A's rows in the lower half and group B's in the upper: for
    /// Q8_0 its low nibbles in <paramref name="low"/> and its high ones in <paramref name="high"/>, for the others the
    /// quants in <paramref name="low"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad<TFormat>(byte* quants, long span, int k, out Vector512<byte> low, out Vector512<byte> high)
        where TFormat : struct, IPackedFormat
    {
        var both = Avx512Ops.InsertVector256(TFormat.Quad(quants, k).AsUInt32().ToVector512Unsafe(), TFormat.Quad(quants + span, k).AsUInt32(), 1).AsByte();
        if (TFormat.MaxQuant == 255)
        {
            low = PackedPair.LowNibbles(both);
            high = PackedPair.HighNibbles(both);
        }
        else
        {
            low = both;
            high = default;
        }
    }
}
