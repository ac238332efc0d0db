using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Packed;

namespace FastInfer.Kernels.Tests.Simd;

/// <summary>
/// The emulated AVX-512 instructions (<see cref="Avx512Ops.Emulated"/>) that let the 512-bit kernels run on any machine:
/// each per-128-bit-lane instruction against its AVX2 form on both halves (the same instruction at half the width), the
/// cross-lane ones against worked cases, every one against the CPU's own instruction where it has AVX-512, and the GFNI
/// matrices the pair kernels use against the bit moves they stand for, over every byte.
/// </summary>
public class Avx512OpsTests
{
    private static Vector512<byte> RandomBytes(int seed)
    {
        var bytes = new byte[64];
        new Random(seed).NextBytes(bytes);
        // The extremes too, where vpmaddubsw saturates and vpmaddwd wraps.
        bytes[0] = 255; bytes[1] = 255; bytes[2] = 0x80; bytes[3] = 0x80;
        return Vector512.Create(bytes);
    }

    private static Vector512<T> FromHalves<T>(Vector256<T> lower, Vector256<T> upper) => Vector512.Create(lower, upper);

    [SkippableFact]
    public void PerLaneInstructionsMatchTheirAvx2FormsOnBothHalves()
    {
        Skip.IfNot(Avx2.IsSupported, "no AVX2 on this CPU to compare with");
        for (int seed = 0; seed < 50; seed++)
        {
            var a = RandomBytes(seed);
            var b = RandomBytes(seed + 1000);
            Assert.Equal(FromHalves(Avx2.MultiplyAddAdjacent(a.GetLower(), b.GetLower().AsSByte()), Avx2.MultiplyAddAdjacent(a.GetUpper(), b.GetUpper().AsSByte())),
                Avx512Ops.Emulated.MultiplyAddAdjacent(a, b.AsSByte()));
            Assert.Equal(FromHalves(Avx2.MultiplyAddAdjacent(a.GetLower().AsInt16(), b.GetLower().AsInt16()), Avx2.MultiplyAddAdjacent(a.GetUpper().AsInt16(), b.GetUpper().AsInt16())),
                Avx512Ops.Emulated.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()));
            Assert.Equal(FromHalves(Avx2.Shuffle(a.GetLower(), b.GetLower()), Avx2.Shuffle(a.GetUpper(), b.GetUpper())),
                Avx512Ops.Emulated.Shuffle(a, b));
            var (fa, fb) = (a.AsSingle(), b.AsSingle());
            Assert.Equal(FromHalves(Avx.UnpackLow(fa.GetLower(), fb.GetLower()), Avx.UnpackLow(fa.GetUpper(), fb.GetUpper())).AsInt32(),
                Avx512Ops.Emulated.Unpack(a.AsInt32(), b.AsInt32(), 0));
            Assert.Equal(FromHalves(Avx.UnpackHigh(fa.GetLower(), fb.GetLower()), Avx.UnpackHigh(fa.GetUpper(), fb.GetUpper())).AsInt32(),
                Avx512Ops.Emulated.Unpack(a.AsInt32(), b.AsInt32(), 2));
            var (da, db) = (a.AsDouble(), b.AsDouble());
            Assert.Equal(FromHalves(Avx.UnpackLow(da.GetLower(), db.GetLower()), Avx.UnpackLow(da.GetUpper(), db.GetUpper())).AsInt64(),
                Avx512Ops.Emulated.Unpack(a.AsInt64(), b.AsInt64(), 0));
            Assert.Equal(FromHalves(Avx.UnpackHigh(da.GetLower(), db.GetLower()), Avx.UnpackHigh(da.GetUpper(), db.GetUpper())).AsInt64(),
                Avx512Ops.Emulated.Unpack(a.AsInt64(), b.AsInt64(), 1));
            var counts = b.AsUInt32() & Vector512.Create(63u); // counts of 32 and more wrap, as vprolvd's do
            Assert.Equal(FromHalves(Rotate(a.AsUInt32().GetLower(), counts.GetLower()), Rotate(a.AsUInt32().GetUpper(), counts.GetUpper())),
                Avx512Ops.Emulated.RotateLeftVariable(a.AsUInt32(), counts));
            var words = a.AsInt16().GetLower();
            Assert.Equal(FromHalves(Avx2.ConvertToVector256Int32(words.GetLower()), Avx2.ConvertToVector256Int32(words.GetUpper())),
                Avx512Ops.ConvertToVector512Int32(words));
        }

        static Vector256<uint> Rotate(Vector256<uint> x, Vector256<uint> n)
        {
            var k = n & Vector256.Create(31u);
            return Avx2.ShiftLeftLogicalVariable(x, k) | Avx2.ShiftRightLogicalVariable(x, Vector256.Create(32u) - k);
        }
    }

    [SkippableFact]
    public void TheVnniDotAddsFourExactProductsPerLane()
    {
        Skip.IfNot(Avx2.IsSupported, "no AVX2 on this CPU to compare with");
        for (int seed = 0; seed < 50; seed++)
        {
            var u = RandomBytes(seed).GetLower();
            var s = RandomBytes(seed + 1000).GetUpper().AsSByte();
            var acc = RandomBytes(seed + 2000).AsInt32().GetLower();
            var emulated = Avx512Ops.Emulated.MultiplyWideningAndAdd(acc, u, s);
            Assert.Equal(Avx512Ops.MultiplyWideningAndAdd(acc, u, s), emulated); // the instruction where the CPU has AVX-VNNI
            // vpmaddubsw + vpmaddwd give the same sums wherever the former cannot saturate (weights up to 128).
            var small = u & Vector256.Create((byte)0x7F);
            Assert.Equal(Avx2Dot256.DotUS(acc, small, s), Avx512Ops.Emulated.MultiplyWideningAndAdd(acc, small, s));
        }
        // 255·(−128) four times: −130560, beyond int16, exact.
        Assert.Equal(Vector256.Create(1 - 130560),
            Avx512Ops.Emulated.MultiplyWideningAndAdd(Vector256.Create(1), Vector256.Create((byte)255), Vector256.Create(sbyte.MinValue)));
    }

    [Fact]
    public void SaturationAndWrapAreTheInstructions()
    {
        // vpmaddubsw: 255·127 + 255·127 saturates to 32767, 255·(−128) twice to −32768.
        var u = Vector512.Create((byte)255);
        Assert.Equal(Vector512.Create(short.MaxValue), Avx512Ops.Emulated.MultiplyAddAdjacent(u, Vector512.Create((sbyte)127)));
        Assert.Equal(Vector512.Create(short.MinValue), Avx512Ops.Emulated.MultiplyAddAdjacent(u, Vector512.Create(sbyte.MinValue)));
        // vpmaddwd: (−32768)² twice is 2^31, which wraps to int.MinValue.
        var m = Vector512.Create(short.MinValue);
        Assert.Equal(Vector512.Create(int.MinValue), Avx512Ops.Emulated.MultiplyAddAdjacent(m, m));
    }

    [Fact]
    public void CrossLaneInstructionsMoveWhatTheReferenceSays()
    {
        var left = Vector512.CreateSequence(0, 1);
        var right = Vector512.CreateSequence(100, 1);
        // vpermd: element i = value[index & 15]; indices past 15 wrap.
        var index = Vector512.Create(15, 0, 16, 31, 1, 17, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        Assert.Equal(Vector512.Create(15, 0, 0, 15, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), Avx512Ops.Emulated.PermuteVar16x32(left, index));
        // vshufi32x4: lanes 0–1 from left, 2–3 from right, two control bits each (the kernels' four controls).
        Assert.Equal(Lanes(left, 0, 1, right, 0, 1), Avx512Ops.Emulated.Shuffle4x128(left, right, 0b01_00_01_00));
        Assert.Equal(Lanes(left, 2, 3, right, 2, 3), Avx512Ops.Emulated.Shuffle4x128(left, right, 0b11_10_11_10));
        Assert.Equal(Lanes(left, 0, 2, right, 0, 2), Avx512Ops.Emulated.Shuffle4x128(left, right, 0b10_00_10_00));
        Assert.Equal(Lanes(left, 1, 3, right, 1, 3), Avx512Ops.Emulated.Shuffle4x128(left, right, 0b11_01_11_01));
        // vinserti32x8: index 0 replaces the lower half, 1 the upper.
        var data = Vector256.Create(7u);
        var value = Vector512.CreateSequence(0u, 1u);
        Assert.Equal(Vector512.Create(data, value.GetUpper()), Avx512Ops.InsertVector256(value, data, 0));
        Assert.Equal(Vector512.Create(value.GetLower(), data), Avx512Ops.InsertVector256(value, data, 1));

        static Vector512<int> Lanes(Vector512<int> a, int a0, int a1, Vector512<int> b, int b0, int b1)
        {
            var result = new int[16];
            for (int j = 0; j < 4; j++)
            {
                result[j] = a[4 * a0 + j];
                result[4 + j] = a[4 * a1 + j];
                result[8 + j] = b[4 * b0 + j];
                result[12 + j] = b[4 * b1 + j];
            }
            return Vector512.Create(result);
        }
    }

    [Fact]
    public void TheGfniMatricesMoveTheBitsTheKernelsNeed()
    {
        var all = new byte[256];
        for (int i = 0; i < 256; i++)
            all[i] = (byte)i;
        for (int offset = 0; offset < 256; offset += 64)
        {
            var x = Vector512.Create(all, offset);
            AssertEachByte(x, PackedPair.HighNibbleMatrix, v => v >> 4);
            for (int bit = 0; bit < 8; bit++)
            {
                int b = bit;
                AssertEachByte(x, PackedQ5_KPairKernel.BitToFourMatrix(b), v => ((v >> b) & 1) << 4);
                AssertEachByte(x, PackedQ3_KPairKernel.HighBitMatrix(b), v => ((v >> b) & 1) << 2);
            }
            for (int shift = 0; shift <= 6; shift += 2)
            {
                int s = shift;
                AssertEachByte(x, PackedQ3_KPairKernel.LowBitsMatrix(s), v => (v >> s) & 3);
            }
        }

        static void AssertEachByte(Vector512<byte> x, ulong matrix, Func<int, int> expected)
        {
            var emulated = Avx512Ops.Emulated.AffineBits(x, matrix);
            var native = Avx512Ops.AffineBits(x, matrix); // the instruction where the CPU has GFNI
            for (int i = 0; i < 64; i++)
            {
                Assert.Equal((byte)expected(x[i]), emulated[i]);
                Assert.Equal(emulated[i], native[i]);
            }
        }
    }

    [SkippableFact]
    public void EveryEmulationMatchesTheCpusOwnInstruction()
    {
        Skip.IfNot(Avx512BW.IsSupported, "no AVX-512 on this CPU: the emulations are checked against AVX2 and worked cases instead");
        for (int seed = 0; seed < 50; seed++)
        {
            var a = RandomBytes(seed);
            var b = RandomBytes(seed + 1000);
            Assert.Equal(Avx512BW.MultiplyAddAdjacent(a, b.AsSByte()), Avx512Ops.Emulated.MultiplyAddAdjacent(a, b.AsSByte()));
            Assert.Equal(Avx512BW.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()), Avx512Ops.Emulated.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()));
            Assert.Equal(Avx512BW.Shuffle(a, b), Avx512Ops.Emulated.Shuffle(a, b));
            Assert.Equal(Avx512F.PermuteVar16x32(a.AsInt32(), b.AsInt32()), Avx512Ops.Emulated.PermuteVar16x32(a.AsInt32(), b.AsInt32()));
            Assert.Equal(Avx512F.RotateLeftVariable(a.AsUInt32(), b.AsUInt32()), Avx512Ops.Emulated.RotateLeftVariable(a.AsUInt32(), b.AsUInt32()));
            Assert.Equal(Avx512F.UnpackLow(a.AsSingle(), b.AsSingle()).AsInt32(), Avx512Ops.Emulated.Unpack(a.AsInt32(), b.AsInt32(), 0));
            Assert.Equal(Avx512F.UnpackHigh(a.AsSingle(), b.AsSingle()).AsInt32(), Avx512Ops.Emulated.Unpack(a.AsInt32(), b.AsInt32(), 2));
            Assert.Equal(Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsInt64(), Avx512Ops.Emulated.Unpack(a.AsInt64(), b.AsInt64(), 0));
            Assert.Equal(Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsInt64(), Avx512Ops.Emulated.Unpack(a.AsInt64(), b.AsInt64(), 1));
            Assert.Equal(Avx512F.Shuffle4x128(a.AsInt32(), b.AsInt32(), 0b11_01_10_00), Avx512Ops.Emulated.Shuffle4x128(a.AsInt32(), b.AsInt32(), 0b11_01_10_00));
        }
    }
}
