using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Tests.Simd;

/// <summary>
/// The 128-bit int8 dot products behind the V128 path's quantized kernels: whichever form this CPU runs (SSSE3, Arm's
/// sdot, or the widening form of Arm CPUs without it; .ci/arm64-tests runs these tests on both kinds of Arm CPU) and
/// the portable form must give lane i exactly the sum of byte group i's four products, within each method's stated
/// operand ranges, extremes included. The kernels carry the lanes in per-lane float chains, so the lanes, not only
/// their total, fix the bits.
/// </summary>
public class Int8DotTests
{
    private static IEnumerable<(sbyte[] X, sbyte[] Y)> Operands(int xMin, int xMax, int yMin, int yMax)
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var x = new sbyte[16];
            var y = new sbyte[16];
            for (int i = 0; i < 16; i++)
            {
                // Rounds 0–3 put every byte at the range's ends; the rest are random within it.
                x[i] = (sbyte)(round < 4 ? ((round & 1) == 0 ? xMin : xMax) : random.Next(xMin, xMax + 1));
                y[i] = (sbyte)(round < 4 ? ((round & 2) == 0 ? yMin : yMax) : random.Next(yMin, yMax + 1));
            }
            yield return (x, y);
        }
    }

    private static int[] GroupSums(sbyte[] x, sbyte[] y, int[] start)
    {
        var sums = (int[])start.Clone();
        for (int i = 0; i < 16; i++)
            sums[i / 4] += x[i] * y[i];
        return sums;
    }

    private static readonly int[] Start = [1_000_000, -7, 0, int.MaxValue / 2];

    [Fact]
    public void SignedTimesSignedSumsEachGroupIntoItsLane()
    {
        // Weights take any int8 value; activations are quantized within ±127.
        foreach (var (w, a) in Operands(-128, 127, -127, 127))
        {
            var lanes = Int8Dot.DotSS(Vector128.Create(Start), Vector128.Create(w), Vector128.Create(a));
            Assert.Equal(GroupSums(w, a, Start), ToArray(lanes));
        }
    }

    [Fact]
    public void UnsignedTimesSignedSumsEachGroupIntoItsLane()
    {
        foreach (var (u, s) in Operands(0, 127, -128, 127))
        {
            var lanes = Int8Dot.DotUS(Vector128.Create(Start), Vector128.Create(u).AsByte(), Vector128.Create(s));
            Assert.Equal(GroupSums(u, s, Start), ToArray(lanes));
        }
    }

    [Fact]
    public void ThePortableFormSumsEachGroupIntoItsLane()
    {
        foreach (var (x, y) in Operands(-128, 127, -128, 127))
        {
            var vx = Vector128.Create(x);
            var vy = Vector128.Create(y);
            var lanes = Int8Dot.PortableGroupSums(Vector128.WidenLower(vx), Vector128.WidenUpper(vx), Vector128.WidenLower(vy), Vector128.WidenUpper(vy));
            Assert.Equal(GroupSums(x, y, [0, 0, 0, 0]), ToArray(lanes));
        }
    }

    private static int[] ToArray(Vector128<int> v) => [v[0], v[1], v[2], v[3]];
}
