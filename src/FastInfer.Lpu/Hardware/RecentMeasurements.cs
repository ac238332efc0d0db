using System.Collections.Concurrent;
using System.Diagnostics;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Measurements that depend on what else the machine is doing (how fast a waiter notices its peer, whether the
/// chips' threads share a core), kept for <see cref="MaxAge"/> and then taken again. A process that compiles one model after
/// another (<c>fastinfer lpu calibrate</c>) so predicts each from the load of its own minute, while the many specs a
/// test run builds share one measurement.
/// </summary>
internal sealed class RecentMeasurements<TKey, TValue>(Func<TKey, TValue>? measure = null) where TKey : notnull
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<TKey, (TValue Value, long TakenAt)> _values = new();

    public TValue Get(TKey key) =>
        Get(key, () => (measure ?? throw new InvalidOperationException("these measurements take their probe per call"))(key));

    /// <summary>As <see cref="Get(TKey)"/>, measuring with <paramref name="measureNow"/> (for a key that does not carry
    /// everything the probe needs).</summary>
    public TValue Get(TKey key, Func<TValue> measureNow)
    {
        if (_values.TryGetValue(key, out var entry) && Stopwatch.GetElapsedTime(entry.TakenAt) <= MaxAge)
            return entry.Value;
        return Retake(key, measureNow);
    }

    /// <summary>Measures now, however recent the kept value, and keeps the new one.</summary>
    public TValue Retake(TKey key, Func<TValue> measureNow)
    {
        ArgumentNullException.ThrowIfNull(measureNow);
        var value = measureNow();
        _values[key] = (value, Stopwatch.GetTimestamp());
        return value;
    }

    /// <summary>As <see cref="Retake(TKey, Func{TValue})"/> with the probe given at construction.</summary>
    public TValue Retake(TKey key) =>
        Retake(key, () => (measure ?? throw new InvalidOperationException("these measurements take their probe per call"))(key));
}
