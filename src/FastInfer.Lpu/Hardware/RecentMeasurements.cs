using System.Collections.Concurrent;
using System.Diagnostics;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Measurements that depend on what else the machine is doing (how fast a waiter notices its peer, whether the
/// chips' threads share a core), kept for <see cref="MaxAge"/> and then taken again. A process that compiles one model after
/// another (<c>fastinfer lpu calibrate</c>) so predicts each from the load of its own minute, while the many specs a
/// test run builds share one measurement.
/// </summary>
internal sealed class RecentMeasurements<TKey>(Func<TKey, double> measure) where TKey : notnull
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<TKey, (double Value, long TakenAt)> _values = new();

    public double Get(TKey key)
    {
        if (_values.TryGetValue(key, out var entry) && Stopwatch.GetElapsedTime(entry.TakenAt) <= MaxAge)
            return entry.Value;
        double value = measure(key);
        _values[key] = (value, Stopwatch.GetTimestamp());
        return value;
    }
}
