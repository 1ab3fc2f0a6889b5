using System.Runtime.InteropServices;

namespace ImageService.Imaging;

/// <summary>
/// Keeps libvips' native memory from piling up in glibc. By default glibc gives every thread that allocates its
/// own arena (up to 8 per core) and keeps freed pages; with images decoded on whichever pool thread is free,
/// resident memory then grows with every new thread even though only two images are ever in flight. Two arenas,
/// and handing free pages back after each image, keep the peak flat. Blocks of 4 MiB and more (a decoded image, a
/// progressive JPEG's coefficients) are always mapped on their own and unmapped when freed: by default glibc raises that
/// threshold after each such block is freed, up to 32 MiB, after which images' big buffers land in the arenas, where
/// they fragment and resident memory creeps up image after image. A no-op where the C library is not glibc.
/// </summary>
internal static partial class NativeHeap
{
    private const int ArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    private static bool available = OperatingSystem.IsLinux();

    public static void LimitArenas(int arenas) => Call(() => mallopt(ArenaMax, arenas));

    /// <summary>Allocations of at least <paramref name="fromBytes"/> get their own mapping, given back when freed.</summary>
    public static void MapLargeBlocks(int fromBytes) => Call(() => mallopt(MmapThreshold, fromBytes));

    public static void ReturnFreePages() => Call(() => malloc_trim(0));

    private static void Call(Func<int> function)
    {
        if (!available)
        {
            return;
        }

        try
        {
            function();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            available = false; // musl or another C library: nothing to tune
        }
    }

    [DllImport("libc", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);
}
