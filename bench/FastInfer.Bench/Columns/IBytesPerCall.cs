namespace FastInfer.Bench.Columns;

/// <summary>A benchmark class that knows how many bytes one call of its benchmarks moves (with the current parameters).</summary>
public interface IBytesPerCall
{
    double BytesPerCall(string benchmarkMethod);
}
