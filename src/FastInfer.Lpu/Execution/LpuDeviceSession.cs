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
        Logits = new float[program.Shape.Vocabulary];
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
                keys[tile.Layer] = new float[length];
                values[tile.Layer] = new float[length];
            }
            Caches[chip] = new ChipKvCache(keys, values);
        }
    }

    public int ContextLength { get; }
    internal ChipKvCache[] Caches { get; }
    /// <summary>This session's copy of the last logits, so another session's token cannot overwrite them.</summary>
    internal float[] Logits { get; }

    public float[] Forward(int token, int position) => _device.Forward(this, token, position);

    public float[] Prefill(ReadOnlySpan<int> tokens, int start, CancellationToken cancellationToken = default) =>
        _device.Prefill(this, tokens, start, cancellationToken);
}
