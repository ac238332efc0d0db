namespace FastInfer.Engine.Models;

/// <summary>
/// How many bytes of weight copies (packed tiles, resident copies) one load may still make. The copies speed up decode
/// but cost as much memory again as the matrices they replace, so a model near or above the machine's memory (a 25 GiB
/// Mixtral on a 23 GiB machine) must keep the rest of its matrices in the file mapping instead of pushing the OS into
/// the OOM killer. The fused stacks (<see cref="FusedProjectionWeights"/>: their contiguous rows and packed copy) are
/// taken first, then the other matrices in the forward pass's order, so the same budget always copies the same ones.
/// </summary>
internal sealed class WeightCopyBudget(long bytes)
{
    private long _remaining = Math.Max(bytes, 0);

    /// <summary>Reserves <paramref name="bytes"/> when they fit, else leaves the budget as it was.</summary>
    public bool TryTake(long bytes)
    {
        if (bytes > _remaining)
            return false;
        _remaining -= bytes;
        return true;
    }

    /// <summary>Gives back <paramref name="bytes"/> taken earlier for a copy that was not kept after all.</summary>
    public void Return(long bytes) => _remaining += bytes;

    /// <summary>Three quarters of the memory the OS reports available now: the rest stays for the KV cache, the file's
    /// embedding rows and whatever else runs on the machine.</summary>
    public static long Default() => AvailableMemory.Bytes() / 4 * 3;
}
