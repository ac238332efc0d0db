namespace FastInfer.Lpu.Execution;

/// <summary>
/// Shared by the chips of one device: set when a chip fails, so that every chip waiting at a barrier stops
/// instead of waiting for a peer that will never arrive.
/// </summary>
internal sealed class ChipFault
{
    private volatile bool _failed;

    public bool Failed => _failed;

    public void Raise() => _failed = true;

    public void ThrowIfFailed()
    {
        if (_failed)
            throw new OperationCanceledException("another Lpu chip failed during this token");
    }
}
