using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Ops.FloatGemm;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Writes a whole group's super-block (eight rows) back as the rows' ggml blocks at once, from a map of
/// <typeparamref name="TFormat"/>'s layout made once by recording one walk of <see cref="IPackedSuperBlockFormat.Copy{TCopy}"/>.
/// Every field a format stores puts lane r's copy of a 2- or 4-byte piece at the lane-0 place plus r pieces, so eight
/// consecutive words of a block are eight 32-byte vectors of the super-block, and one 8×8 transpose turns them into 32
/// contiguous bytes of each row. That replaces 64 word copies (<see cref="PackedRows"/> wrote a K-quant prefill's rows
/// back a word at a time, a few percent of the prefill). Pieces outside such runs (the F16 scales, scale fields of
/// fewer than eight words) are copied lane by lane.
/// </summary>
internal static unsafe class GroupRowsMap<TFormat> where TFormat : struct, IPackedSuperBlockFormat
{
    /// <summary>Block offset of each run of eight words, then its eight words' lane-0 offsets in the super-block.</summary>
    private static readonly int[] Runs;
    /// <summary>Block offset, lane-0 super-block offset and size of each piece outside the runs.</summary>
    private static readonly int[] Pieces;

    static GroupRowsMap()
    {
        var lane0 = Recorder.Walk<TFormat>(0);
        var lane1 = Recorder.Walk<TFormat>(1);
        int blockBytes = GgmlTypeTraits.BlockBytes(TFormat.Type), covered = 0;
        for (int i = 0; i < lane0.Count; i++)
        {
            // The map is only valid for layouts that place lanes this way; a format that did not would fail here, at its first use.
            if (lane1[i].Block != lane0[i].Block || lane1[i].Packed != lane0[i].Packed + lane0[i].Bytes)
                throw new InvalidOperationException($"{TFormat.Type}'s packed layout does not put lane r's pieces r apart");
            // Copy reads and writes at these offsets unchecked, so each piece must lie inside its block and its eight
            // lanes inside the super-block.
            if (lane0[i].Block < 0 || lane0[i].Block + lane0[i].Bytes > blockBytes
                || lane0[i].Packed < 0 || lane0[i].Packed + PackedLayout.GroupRows * lane0[i].Bytes > TFormat.SuperBlockBytes)
                throw new InvalidOperationException($"{TFormat.Type}'s packed layout places a piece outside its block or super-block");
            covered += lane0[i].Bytes;
        }
        if (covered != blockBytes)
            throw new InvalidOperationException($"{TFormat.Type}'s packed layout covers {covered} of a block's {blockBytes} bytes");
        var byBlock = lane0.OrderBy(piece => piece.Block).ToList();
        var runs = new List<int>();
        var pieces = new List<int>();
        for (int i = 0; i < byBlock.Count;)
        {
            bool run = i + 8 <= byBlock.Count;
            for (int k = 0; run && k < 8; k++)
                run = byBlock[i + k].Bytes == 4 && byBlock[i + k].Block == byBlock[i].Block + 4 * k;
            if (run)
            {
                runs.Add(byBlock[i].Block);
                for (int k = 0; k < 8; k++)
                    runs.Add(byBlock[i + k].Packed);
                i += 8;
            }
            else
            {
                pieces.AddRange([byBlock[i].Block, byBlock[i].Packed, byBlock[i].Bytes]);
                i++;
            }
        }
        Runs = [.. runs];
        Pieces = [.. pieces];
    }

    /// <summary>
    /// The eight rows' blocks of <paramref name="superBlock"/>, row r's at <paramref name="block"/> + r·<paramref name="rowBytes"/>.
    /// Needs AVX (<see cref="Avx.IsSupported"/>).
    /// </summary>
    public static void Copy(byte* superBlock, byte* block, long rowBytes)
    {
        var runs = Runs;
        for (int i = 0; i < runs.Length; i += 9)
        {
            var r0 = Avx.LoadVector256((float*)(superBlock + runs[i + 1]));
            var r1 = Avx.LoadVector256((float*)(superBlock + runs[i + 2]));
            var r2 = Avx.LoadVector256((float*)(superBlock + runs[i + 3]));
            var r3 = Avx.LoadVector256((float*)(superBlock + runs[i + 4]));
            var r4 = Avx.LoadVector256((float*)(superBlock + runs[i + 5]));
            var r5 = Avx.LoadVector256((float*)(superBlock + runs[i + 6]));
            var r6 = Avx.LoadVector256((float*)(superBlock + runs[i + 7]));
            var r7 = Avx.LoadVector256((float*)(superBlock + runs[i + 8]));
            Transpose8x8.InRegisters(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            byte* row = block + runs[i];
            Avx.Store((float*)row, r0);
            Avx.Store((float*)(row + rowBytes), r1);
            Avx.Store((float*)(row + 2 * rowBytes), r2);
            Avx.Store((float*)(row + 3 * rowBytes), r3);
            Avx.Store((float*)(row + 4 * rowBytes), r4);
            Avx.Store((float*)(row + 5 * rowBytes), r5);
            Avx.Store((float*)(row + 6 * rowBytes), r6);
            Avx.Store((float*)(row + 7 * rowBytes), r7);
        }
        var pieces = Pieces;
        for (int i = 0; i < pieces.Length; i += 3)
        {
            byte* from = superBlock + pieces[i + 1], to = block + pieces[i];
            if (pieces[i + 2] == 4)
                for (int lane = 0; lane < PackedLayout.GroupRows; lane++, from += 4, to += rowBytes)
                    Unsafe.WriteUnaligned(to, Unsafe.ReadUnaligned<uint>(from));
            else
                for (int lane = 0; lane < PackedLayout.GroupRows; lane++, from += 2, to += rowBytes)
                    Unsafe.WriteUnaligned(to, Unsafe.ReadUnaligned<ushort>(from));
        }
    }

    /// <summary>Records where one lane's walk of the layout puts each piece, as offsets from a block and a super-block at 0.</summary>
    private readonly struct Recorder : ILaneCopy
    {
        [ThreadStatic]
        private static List<(int Block, int Packed, int Bytes)>? t_pieces;

        public static List<(int Block, int Packed, int Bytes)> Walk<T>(int lane) where T : struct, IPackedSuperBlockFormat
        {
            var pieces = t_pieces = [];
            // Only addresses are formed from these (the recorder never reads or writes through them).
            T.Copy<Recorder>((byte*)0, lane, (byte*)0);
            t_pieces = null;
            return pieces;
        }

        public static void Word(byte* block, byte* packed) => t_pieces!.Add(((int)(nint)block, (int)(nint)packed, 4));

        public static void Half(byte* block, byte* packed) => t_pieces!.Add(((int)(nint)block, (int)(nint)packed, 2));
    }
}
