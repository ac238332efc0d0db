using System.Runtime.InteropServices;

namespace FastInfer.Kernels.Memory;

/// <summary>Linux madvise hints for large weight memory; elsewhere they do nothing (they are only hints or releases).</summary>
public static partial class MemoryAdvice
{
    private const int DontNeed = 4;   // MADV_DONTNEED
    private const int HugePage = 14;  // MADV_HUGEPAGE

    /// <summary>Asks for transparent huge pages (needed when the system's THP mode is "madvise").</summary>
    public static void PreferHugePages(nint address, long length) => Advise(address, length, HugePage);

    /// <summary>
    /// Drops this process's mapping of the pages. Only for shared file mappings, whose contents stay in the file cache
    /// and map again on the next read: on private anonymous memory it would zero them.
    /// </summary>
    public static void ReleaseFilePages(nint address, long length) => Advise(address, length, DontNeed);

    private static void Advise(nint address, long length, int advice)
    {
        // Advisory: a refusal leaves the memory as it was.
        if (OperatingSystem.IsLinux() && length > 0)
            _ = Madvise(address, (nuint)length, advice);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
