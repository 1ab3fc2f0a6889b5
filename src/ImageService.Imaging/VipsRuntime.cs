using NetVips;

namespace ImageService.Imaging;

/// <summary>
/// Process-wide libvips settings for untrusted input: every loader is blocked except the few formats we
/// accept (so a crafted file can never reach the SVG, PDF, TIFF, matrix or CSV loaders), operations marked
/// untrusted by libvips are blocked too, the operation cache is off and worker threads are bounded.
/// </summary>
public static class VipsRuntime
{
    private static readonly string[] AllowedLoaders =
    [
        "VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp", "VipsForeignLoadNsgif", "VipsForeignLoadHeif",
    ];

    private static readonly Lock Gate = new();
    private static bool configured;
    private static Action<string>? warnings;

    // Held in a field: libvips keeps only a native pointer to it.
    private static readonly Log.LogDelegate Forward = (_, _, message) => warnings?.Invoke(message);

    /// <summary>Configures libvips once per process; <paramref name="onWarning"/> receives libvips' warnings, which
    /// a corrupt upload produces by the dozen and which otherwise go straight to stderr.</summary>
    public static void Configure(int vipsConcurrency, Action<string>? onWarning = null)
    {
        lock (Gate)
        {
            NetVips.NetVips.Concurrency = vipsConcurrency;
            warnings = onWarning ?? warnings;
            if (configured)
            {
                return;
            }

            NetVips.NetVips.BlockUntrusted = true;
            Operation.Block("VipsForeignLoad", true);
            foreach (var loader in AllowedLoaders)
            {
                Operation.Block(loader, false);
            }

            // Every upload is new: caching operations would only hold memory.
            NativeHeap.LimitArenas(2);
            NativeHeap.MapLargeBlocks(4 << 20);
            Cache.Max = 0;
            Cache.MaxFiles = 0;
            Cache.MaxMem = 0;
            Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning | Enums.LogLevelFlags.Message | Enums.LogLevelFlags.Info, Forward);
            configured = true;
        }
    }
}
