namespace FastInfer.Bench.Compare;

/// <summary>
/// The process's peak resident set (Linux VmHWM), resettable so each in-process engine's phase gets its own peak.
/// Elsewhere it falls back to the runtime's peak working set, which cannot be reset.
/// </summary>
public static class PeakMemory
{
    public static void Reset()
    {
        try
        {
            if (OperatingSystem.IsLinux())
                File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static long PeakBytes()
    {
        if (OperatingSystem.IsLinux() && File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal) &&
                    long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out long kb))
                    return kb * 1024;
            }
        }
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
