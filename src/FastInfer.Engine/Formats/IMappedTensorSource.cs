namespace FastInfer.Engine.Formats;

/// <summary>A tensor source whose tensors point into a read-only shared file mapping.</summary>
internal interface IMappedTensorSource
{
    /// <summary>
    /// Unmaps the whole pages inside [address, address + length) from this process (they stay in the OS's file cache,
    /// and a later read maps them again), once the tensors there have been copied elsewhere. Ranges outside the
    /// mapping are ignored.
    /// </summary>
    void ReleasePages(nint address, long length);
}
