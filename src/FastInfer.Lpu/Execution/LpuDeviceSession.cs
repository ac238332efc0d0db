using FastInfer.Engine.Models;
using FastInfer.Lpu.Compiler;

namespace FastInfer.Lpu.Execution;

/// <summary>One conversation on an <see cref="LpuDevice"/>: the KV-cache slices of every chip, sized for its context.</summary>
internal sealed class LpuDeviceSession : IForwardDeviceSession
{
    private readonly LpuDevice _device;

    public LpuDeviceSession(LpuDevice device, LpuProgram program, int contextLength)
    {
        _device = device;
        ContextLength = contextLength;
        Logits = Touched(program.Shape.Vocabulary);
        var shape = program.Shape;
        Caches = new ChipKvCache[program.ChipsUsed];
        for (int chip = 0; chip < Caches.Length; chip++)
        {
            var keys = new float[]?[shape.Layers];
            var values = new float[]?[shape.Layers];
            foreach (var tile in program.Tiles.Where(t => t.Chip == chip && t.Tensor == LpuTensor.KvCache))
            {
                long length = (long)contextLength * (tile.End - tile.Start) * shape.HeadDimension;
                if (length > Array.MaxLength)
                    throw new ArgumentOutOfRangeException(nameof(contextLength), $"a context of {contextLength} tokens is too large for one chip's cache");
                keys[tile.Layer] = Touched(length);
                values[tile.Layer] = Touched(length);
            }
            Caches[chip] = new ChipKvCache(keys, values);
        }
    }

    /// <summary>
    /// A zeroed cache array whose pages are already mapped. A large array comes from memory the OS has not mapped yet,
    /// and on the first write to each page the OS maps (and, for a huge page, zeroes) it: the first token of a session
    /// took 1–20 ms instead of 0.2–2 (stories15M, stories110M). Written here, that cost belongs to making the session.
    /// </summary>
    private static float[] Touched(long length)
    {
        var array = new float[length];
        array.AsSpan().Clear();
        return array;
    }

    public int ContextLength { get; }
    internal ChipKvCache[] Caches { get; }
    /// <summary>This session's copy of the last logits, so another session's token cannot overwrite them.</summary>
    internal float[] Logits { get; }

    public float[] Forward(int token, int position) => _device.Forward(this, token, position);

    public float[] Prefill(ReadOnlySpan<int> tokens, int start, CancellationToken cancellationToken = default) =>
        _device.Prefill(this, tokens, start, cancellationToken);
}
