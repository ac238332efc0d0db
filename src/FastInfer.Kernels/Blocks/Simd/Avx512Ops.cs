using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastInfer.Kernels.Blocks.Simd;

/// <summary>
/// The instructions the AVX-512 path's kernels use beyond what <see cref="Vector512"/> offers portably (AVX-512F/BW, GFNI,
/// and the 256-bit AVX-VNNI dot product those CPUs have beside them): the instruction
/// itself where the CPU has it (the check is a JIT-time constant, so nothing is left of it there), otherwise the same
/// results computed element by element as Intel's instruction reference defines them. The kernels never select the 512-bit
/// path on such a CPU (<see cref="Isa.KernelIsa"/>); the element-wise forms exist so that tests can run those kernels, with
/// their layouts, constants and lane bookkeeping, on an AVX2 machine without AVX-512, slowly but with the same bits.
/// </summary>
/// <remarks>
/// Each emulation is itself checked against the 256-bit instruction of the same per-lane meaning where AVX2 has one,
/// and against hand-worked cases for the cross-lane ones (Avx512OpsTests).
/// </remarks>
internal static unsafe class Avx512Ops
{
    /// <summary>vpmaddubsw: each int16 lane = saturate(u[2i]·s[2i] + u[2i+1]·s[2i+1]), u unsigned and s signed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> MultiplyAddAdjacent(Vector512<byte> u, Vector512<sbyte> s)
        => Avx512BW.IsSupported ? Avx512BW.MultiplyAddAdjacent(u, s) : Emulated.MultiplyAddAdjacent(u, s);

    /// <summary>vpmaddwd: each int32 lane = a[2i]·b[2i] + a[2i+1]·b[2i+1] (wrapping, as the instruction does, only for
    /// four times −32768).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MultiplyAddAdjacent(Vector512<short> a, Vector512<short> b)
        => Avx512BW.IsSupported ? Avx512BW.MultiplyAddAdjacent(a, b) : Emulated.MultiplyAddAdjacent(a, b);

    /// <summary>vpshufb: within each 128-bit lane, byte i = the lane's byte (control[i] &amp; 15), or 0 where control[i]'s top bit is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Shuffle(Vector512<byte> value, Vector512<byte> control)
        => Avx512BW.IsSupported ? Avx512BW.Shuffle(value, control) : Emulated.Shuffle(value, control);

    /// <summary>vpermd: element i = value[index[i] &amp; 15], across the whole register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> PermuteVar16x32(Vector512<int> value, Vector512<int> index)
        => Avx512F.IsSupported ? Avx512F.PermuteVar16x32(value, index) : Emulated.PermuteVar16x32(value, index);

    /// <summary>vshufi32x4: 128-bit lanes 0 and 1 from <paramref name="left"/>'s lanes (control bits 1–0, 3–2), lanes 2 and 3
    /// from <paramref name="right"/>'s (bits 5–4, 7–6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Shuffle4x128(Vector512<int> left, Vector512<int> right, [ConstantExpected] byte control)
        => Avx512F.IsSupported ? Avx512F.Shuffle4x128(left, right, control) : Emulated.Shuffle4x128(left, right, control);

    /// <inheritdoc cref="Shuffle4x128(Vector512{int}, Vector512{int}, byte)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Shuffle4x128(Vector512<float> left, Vector512<float> right, [ConstantExpected] byte control)
        => Avx512F.IsSupported ? Avx512F.Shuffle4x128(left, right, control)
            : Emulated.Shuffle4x128(left.AsInt32(), right.AsInt32(), control).AsSingle();

    /// <summary>vunpcklps: within each 128-bit lane, (a0, b0, a1, b1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> UnpackLow(Vector512<float> a, Vector512<float> b)
        => Avx512F.IsSupported ? Avx512F.UnpackLow(a, b) : Emulated.Unpack(a.AsInt32(), b.AsInt32(), 0).AsSingle();

    /// <summary>vunpckhps: within each 128-bit lane, (a2, b2, a3, b3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> UnpackHigh(Vector512<float> a, Vector512<float> b)
        => Avx512F.IsSupported ? Avx512F.UnpackHigh(a, b) : Emulated.Unpack(a.AsInt32(), b.AsInt32(), 2).AsSingle();

    /// <summary>vunpcklpd: within each 128-bit lane, (a0, b0) of 64-bit elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> UnpackLow(Vector512<double> a, Vector512<double> b)
        => Avx512F.IsSupported ? Avx512F.UnpackLow(a, b) : Emulated.Unpack(a.AsInt64(), b.AsInt64(), 0).AsDouble();

    /// <summary>vunpckhpd: within each 128-bit lane, (a1, b1) of 64-bit elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> UnpackHigh(Vector512<double> a, Vector512<double> b)
        => Avx512F.IsSupported ? Avx512F.UnpackHigh(a, b) : Emulated.Unpack(a.AsInt64(), b.AsInt64(), 1).AsDouble();

    /// <summary>vinserti32x8: <paramref name="value"/> with its lower (index 0) or upper (index 1) 256 bits replaced by <paramref name="data"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> InsertVector256(Vector512<uint> value, Vector256<uint> data, [ConstantExpected(Max = (byte)1)] byte index)
        => Avx512F.IsSupported ? Avx512F.InsertVector256(value, data, index)
            : (index & 1) == 0 ? Vector512.Create(data, value.GetUpper()) : Vector512.Create(value.GetLower(), data);

    /// <summary>vprolvd: element i rotated left by counts[i] mod 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> RotateLeftVariable(Vector512<uint> value, Vector512<uint> counts)
        => Avx512F.IsSupported ? Avx512F.RotateLeftVariable(value, counts) : Emulated.RotateLeftVariable(value, counts);

    /// <summary>vpmovsxwd: sixteen int16 sign-extended to int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ConvertToVector512Int32(Vector256<short> value)
        => Avx512F.IsSupported ? Avx512F.ConvertToVector512Int32(value)
            : Vector512.Create(Vector256.WidenLower(value), Vector256.WidenUpper(value));

    /// <summary>
    /// vpdpbusd (AVX-VNNI, 256-bit), which the AVX-512 path runs where the CPU has it: each int32 lane of
    /// <paramref name="acc"/> plus the four products of its unsigned and signed bytes, with no intermediate saturation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyWideningAndAdd(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
        => AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, u, s) : Emulated.MultiplyWideningAndAdd(acc, u, s);

    /// <summary>
    /// gf2p8affineqb with no constant term: output bit i of each byte is the parity of the byte AND byte 7−i of
    /// <paramref name="matrix"/> (the same matrix for every qword), which moves and masks bits in one instruction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> AffineBits(Vector512<byte> value, ulong matrix)
        => Gfni.V512.IsSupported ? Gfni.V512.GaloisFieldAffineTransform(value, Vector512.Create(matrix).AsByte(), 0)
            : Emulated.AffineBits(value, matrix);

    /// <summary>
    /// The element-wise forms, over copies in memory: plain loops whose every line reads as the instruction reference's
    /// pseudo-code does, kept out of line so that they never weigh on the inlined callers above.
    /// </summary>
    internal static class Emulated
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<short> MultiplyAddAdjacent(Vector512<byte> u, Vector512<sbyte> s)
        {
            var result = new short[32];
            for (int i = 0; i < 32; i++)
            {
                int sum = u.GetElement(2 * i) * s.GetElement(2 * i) + u.GetElement(2 * i + 1) * s.GetElement(2 * i + 1);
                result[i] = (short)Math.Clamp(sum, short.MinValue, short.MaxValue);
            }
            return Vector512.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<int> MultiplyAddAdjacent(Vector512<short> a, Vector512<short> b)
        {
            var result = new int[16];
            for (int i = 0; i < 16; i++)
                result[i] = unchecked(a.GetElement(2 * i) * b.GetElement(2 * i) + a.GetElement(2 * i + 1) * b.GetElement(2 * i + 1));
            return Vector512.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<byte> Shuffle(Vector512<byte> value, Vector512<byte> control)
        {
            var result = new byte[64];
            for (int i = 0; i < 64; i++)
            {
                byte c = control.GetElement(i);
                result[i] = (c & 0x80) != 0 ? (byte)0 : value.GetElement(i / 16 * 16 + (c & 15));
            }
            return Vector512.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<int> PermuteVar16x32(Vector512<int> value, Vector512<int> index)
        {
            var result = new int[16];
            for (int i = 0; i < 16; i++)
                result[i] = value.GetElement(index.GetElement(i) & 15);
            return Vector512.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<int> Shuffle4x128(Vector512<int> left, Vector512<int> right, byte control)
        {
            var result = new int[16];
            for (int lane = 0; lane < 4; lane++)
            {
                var source = lane < 2 ? left : right;
                int from = (control >> (2 * lane)) & 3;
                for (int j = 0; j < 4; j++)
                    result[4 * lane + j] = source.GetElement(4 * from + j);
            }
            return Vector512.Create(result);
        }

        /// <summary>Within each 128-bit lane, elements first, first+1, … of a and b interleaved (a first) until the lane is full.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<T> Unpack<T>(Vector512<T> a, Vector512<T> b, int first)
        {
            int perLane = Vector128<T>.Count;
            var result = new T[Vector512<T>.Count];
            for (int lane = 0; lane < 4; lane++)
                for (int j = 0; j < perLane / 2; j++)
                {
                    result[lane * perLane + 2 * j] = a.GetElement(lane * perLane + first + j);
                    result[lane * perLane + 2 * j + 1] = b.GetElement(lane * perLane + first + j);
                }
            return Vector512.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector256<int> MultiplyWideningAndAdd(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
        {
            var result = new int[8];
            for (int i = 0; i < 8; i++)
            {
                int sum = acc.GetElement(i);
                for (int j = 0; j < 4; j++)
                    sum = unchecked(sum + u.GetElement(4 * i + j) * s.GetElement(4 * i + j));
                result[i] = sum;
            }
            return Vector256.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<byte> AffineBits(Vector512<byte> value, ulong matrix)
        {
            var result = new byte[64];
            for (int i = 0; i < 64; i++)
            {
                int x = value.GetElement(i), y = 0;
                for (int bit = 0; bit < 8; bit++)
                    y |= (int.PopCount(x & (int)((matrix >> (8 * (7 - bit))) & 0xFF)) & 1) << bit;
                result[i] = (byte)y;
            }
            return Vector512.Create(result);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Vector512<uint> RotateLeftVariable(Vector512<uint> value, Vector512<uint> counts)
        {
            var result = new uint[16];
            for (int i = 0; i < 16; i++)
                result[i] = uint.RotateLeft(value.GetElement(i), (int)(counts.GetElement(i) & 31));
            return Vector512.Create(result);
        }
    }
}
