using System.Globalization;

namespace FastInfer.Kernels.Memory;

/// <summary>
/// The sizes of the caches cpu0 describes in sysfs: the last level decides how much memory a bandwidth measurement
/// must cycle through so that it reads DRAM rather than cache; the first level's data cache, how the decode kernels
/// ask for lines ahead (<see cref="FirstLevelDataIsSmall"/>).
/// </summary>
public static class CacheSizes
{
    /// <summary>Used when the kernel does not describe its caches (containers often hide sysfs): a Zen 5 CCD's L3.</summary>
    public const long AssumedLastLevelBytes = 32L << 20;

    private const string CacheFolder = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>The largest cache level cpu0 reports in sysfs, or <see cref="AssumedLastLevelBytes"/> when none is readable.</summary>
    public static long LastLevelBytes() => ReadLastLevel(CacheFolder) ?? AssumedLastLevelBytes;

    /// <summary>cpu0's level-1 data cache, or null when sysfs does not describe it.</summary>
    public static long? FirstLevelDataBytes() => ReadFirstLevelData(CacheFolder);

    /// <summary>The L1 data cache of the core the software prefetch distances were chosen on (a Zen 5).</summary>
    public const long TunedFirstLevelDataBytes = 48 << 10;

    /// <summary>
    /// Whether cpu0's L1 data cache is known to be smaller than <see cref="TunedFirstLevelDataBytes"/> (the 32 KiB of a Zen 3
    /// or Zen 4): then the AVX-512 decode kernels leave their lines to the hardware prefetchers
    /// (<see cref="Packed.PackedPair.AsksAhead"/>) and decode attention asks for its lines into L2
    /// (<see cref="Ops.AttentionKernels.KvPrefetch"/>). Where sysfs does not say, the kernels keep the tuned requests.
    /// </summary>
    public static bool FirstLevelDataIsSmall() => IsSmallFirstLevelData(FirstLevelDataBytes());

    /// <summary><see cref="FirstLevelDataIsSmall"/> for an L1 data cache of <paramref name="bytes"/> (null: unknown).</summary>
    internal static bool IsSmallFirstLevelData(long? bytes) => bytes is { } size && size < TunedFirstLevelDataBytes;

    /// <summary>The size of the highest-level cache described under <paramref name="folder"/> (index*/level, index*/size).</summary>
    internal static long? ReadLastLevel(string folder)
    {
        int bestLevel = -1;
        long? bestSize = null;
        foreach (var (level, _, size) in ReadIndexes(folder))
            if (level > bestLevel)
                (bestLevel, bestSize) = (level, size);
        return bestSize;
    }

    /// <summary>The size of the level-1 data cache described under <paramref name="folder"/> (index*/type "Data").</summary>
    internal static long? ReadFirstLevelData(string folder)
    {
        foreach (var (level, type, size) in ReadIndexes(folder))
            if (level == 1 && type == "Data")
                return size;
        return null;
    }

    /// <summary>Every well-formed cache description under <paramref name="folder"/>: level, type (empty when absent) and size.</summary>
    private static List<(int Level, string Type, long Size)> ReadIndexes(string folder)
    {
        var caches = new List<(int, string, long)>();
        if (!Directory.Exists(folder))
            return caches;
        foreach (var index in Directory.EnumerateDirectories(folder, "index*"))
        {
            try
            {
                if (!int.TryParse(File.ReadAllText(Path.Combine(index, "level")).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int level))
                    continue;
                string typeFile = Path.Combine(index, "type");
                string type = File.Exists(typeFile) ? File.ReadAllText(typeFile).Trim() : "";
                if (ParseSize(File.ReadAllText(Path.Combine(index, "size"))) is { } size)
                    caches.Add((level, type, size));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return caches;
    }

    /// <summary>sysfs cache sizes: a number with an optional K, M or G suffix ("32768K"); null when malformed.</summary>
    internal static long? ParseSize(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
            return null;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 && value < (1L << 40)
            ? value * unit
            : null;
    }
}
