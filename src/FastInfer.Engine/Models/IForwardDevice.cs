namespace FastInfer.Engine.Models;

/// <summary>
/// A device that runs the forward pass instead of the CPU transformer (the Lpu device of FastInfer.Lpu). It is
/// made once per model from the loaded weights and keeps whatever it places on its chips until disposed.
/// </summary>
public interface IForwardDevice : IDisposable
{
    /// <summary>Short name for logs ("lpu").</summary>
    string Name { get; }

    /// <summary>The per-conversation state of the device (its KV cache) for <paramref name="contextLength"/> tokens.</summary>
    IForwardDeviceSession CreateSession(int contextLength);
}

/// <summary>One conversation on an <see cref="IForwardDevice"/>: one token at a time, like <see cref="LlamaTransformer.Forward"/>.</summary>
public interface IForwardDeviceSession
{
    /// <summary>Runs <paramref name="token"/> at <paramref name="position"/>; returns the next-token logits (valid until the next call).</summary>
    float[] Forward(int token, int position);

    /// <summary>
    /// Runs a prompt at positions [<paramref name="start"/>, start + count) and returns the logits after its last token.
    /// A device with a batched path overrides this; by default the tokens run one at a time.
    /// </summary>
    float[] Prefill(ReadOnlySpan<int> tokens, int start, CancellationToken cancellationToken = default)
    {
        float[] last = [];
        for (int i = 0; i < tokens.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = Forward(tokens[i], start + i);
        }
        return last;
    }
}
