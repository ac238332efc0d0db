using System.Globalization;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// Cache sizes of this machine as one core sees them, read from /sys/devices/system/cpu/cpu0/cache/. Containers
/// often hide that folder; then L2 comes from /proc/cpuinfo's "cache size" (the per-core L2 on AMD and recent Intel
/// parts), and whatever is still unknown falls back to a typical modern x86 figure.
/// </summary>
public sealed record CpuCacheTopology(long L2Bytes, int L2Sharers, long L3Bytes, int L3Sharers, bool FromSysfs)
{
    public const long FallbackL2Bytes = 1L << 20;
    public const long FallbackL3Bytes = 32L << 20;

    /// <summary>The cache one core may treat as its own: its L2 (split among SMT siblings) plus its share of L3.</summary>
    public long PrivateBytesPerCore => L2Bytes / Math.Max(1, L2Sharers) + L3Bytes / Math.Max(1, L3Sharers);

    public static CpuCacheTopology Read(string root = "/sys/devices/system/cpu/cpu0/cache", string cpuinfo = "/proc/cpuinfo")
    {
        long l2 = 0, l3 = 0;
        int l2Sharers = 1, l3Sharers = Environment.ProcessorCount;
        try
        {
            if (Directory.Exists(root))
            {
                foreach (var dir in Directory.GetDirectories(root, "index*").Order(StringComparer.Ordinal))
                {
                    var level = ReadText(dir, "level");
                    var type = ReadText(dir, "type");
                    var size = ParseSize(ReadText(dir, "size"));
                    if (type is not ("Unified" or "Data") || size <= 0)
                        continue;
                    int sharers = CountCpus(ReadText(dir, "shared_cpu_list"));
                    if (level == "2") { l2 = size; l2Sharers = sharers; }
                    else if (level == "3") { l3 = size; l3Sharers = sharers; }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A locked-down /sys is not an error: the fallbacks below describe a typical core.
        }
        bool fromSysfs = l2 > 0;
        if (l2 == 0)
            l2 = CpuinfoCacheBytes(cpuinfo);
        return new CpuCacheTopology(
            l2 > 0 ? l2 : FallbackL2Bytes, Math.Max(1, l2Sharers),
            l3 > 0 ? l3 : FallbackL3Bytes, Math.Max(1, l3Sharers), fromSysfs);
    }

    private static long CpuinfoCacheBytes(string path)
    {
        try
        {
            if (!File.Exists(path))
                return 0;
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith("cache size", StringComparison.Ordinal))
                    continue;
                // "cache size	: 1024 KB"
                var value = line[(line.IndexOf(':') + 1)..].Trim().Replace(" ", "", StringComparison.Ordinal);
                return ParseSize(value.EndsWith('B') ? value[..^1] : value);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the fallback below applies
        }
        return 0;
    }

    private static string ReadText(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    /// <summary>Parses sysfs sizes such as "48K", "1024K" or "32768K"; 0 when malformed.</summary>
    internal static long ParseSize(string text)
    {
        if (text.Length == 0)
            return 0;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        var digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < (1L << 40)
            ? n * unit : 0;
    }

    /// <summary>Counts the CPUs of a list such as "0-3,8,10-11"; 1 when malformed.</summary>
    internal static int CountCpus(string list)
    {
        int count = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-');
            if (bounds.Length == 1 && int.TryParse(bounds[0], out _))
                count++;
            else if (bounds.Length == 2 && int.TryParse(bounds[0], out var lo) && int.TryParse(bounds[1], out var hi) && hi >= lo && hi - lo < 1 << 16)
                count += hi - lo + 1;
            else
                return 1;
        }
        return Math.Max(1, count);
    }
}
