namespace FastInfer.Engine.Models;

/// <summary>Memory the process could still fill without the OS swapping or killing it.</summary>
internal static class AvailableMemory
{
    /// <summary>
    /// Linux's <c>MemAvailable</c> (free memory plus the file cache it can drop); elsewhere, or when /proc is not
    /// readable, what the GC reports as the limit for this process.
    /// </summary>
    public static long Bytes() => FromProcMeminfo() ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static long? FromProcMeminfo()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (TryParseKilobytes(line, "MemAvailable:", out long kilobytes))
                    return kilobytes * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Reads a "Name:   12345 kB" line.</summary>
    internal static bool TryParseKilobytes(string line, string name, out long kilobytes)
    {
        kilobytes = 0;
        if (!line.StartsWith(name, StringComparison.Ordinal))
            return false;
        var value = line.AsSpan(name.Length).Trim();
        if (value.EndsWith("kB", StringComparison.Ordinal))
            value = value[..^2].TrimEnd();
        return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out kilobytes);
    }
}
