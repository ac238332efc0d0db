namespace FastInfer.Kernels.Threading;

/// <summary>
/// Work split by output rows. A kernel states its job as a struct; the pool calls
/// <see cref="Execute"/> on each worker's contiguous share, so nothing is boxed or allocated per call.
/// </summary>
public interface IRowJob
{
    /// <summary>Computes outputs [start, end).</summary>
    void Execute(int start, int end);
}
