namespace FastInfer.Cli.Commands;

/// <summary>
/// The process's peak resident memory. A memory-mapped model counts only the pages actually touched, so this is
/// what a user needs to know about whether a model fits, not the file size.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Linux's VmHWM from /proc/self/status (e.g. "1234 MiB"), or "unknown" where that file does not exist.</summary>
    public static string PeakWorkingSetText()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
            return "unknown";
        foreach (var line in File.ReadLines(path))
        {
            // "VmHWM:     123456 kB"
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal))
                continue;
            var parts = line["VmHWM:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], out long kib))
                return $"{kib / 1024} MiB";
        }
        return "unknown";
    }
}
