namespace FastInfer.Bench.Compare;

/// <summary>Repeated measurements of one quantity: median and range.</summary>
public sealed class Sample
{
    private readonly List<double> _values = [];

    public void Add(double value) => _values.Add(value);
    public IReadOnlyList<double> Values => _values;
    public int Count => _values.Count;
    public double Min => _values.Count == 0 ? double.NaN : _values.Min();
    public double Max => _values.Count == 0 ? double.NaN : _values.Max();

    public double Median
    {
        get
        {
            if (_values.Count == 0)
                return double.NaN;
            var sorted = _values.Order().ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }
}
