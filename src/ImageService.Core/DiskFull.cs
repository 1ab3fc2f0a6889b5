namespace ImageService.Core;

/// <summary>
/// Recognises a local disk with no room left (or a user over quota): the server's trouble, for now, and never the
/// client's, however the failure surfaced (a write of the upload body, a rendition encoded by libvips, a blob put).
/// </summary>
public static class DiskFull
{
    private const int NoSpace = 28; // ENOSPC
    private const int OverQuota = 122; // EDQUOT
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    // Native libraries (libvips) report the failed write with the C library's text for errno.
    private static readonly string[] NativeMessages = ["No space left on device", "Disk quota exceeded"];

    public static bool Is(Exception? exception) => exception switch
    {
        null => false,
        IOException { HResult: NoSpace or OverQuota or WindowsDiskFull or WindowsHandleDiskFull } => true,
        _ when NativeMessages.Any(text => exception.Message.Contains(text, StringComparison.Ordinal)) => true,
        _ => Is(exception.InnerException),
    };

    /// <summary>The failure as the store-unavailable error the host answers with 503 and Retry-After.</summary>
    public static StoreUnavailableException Unavailable(string where, Exception exception) =>
        new($"{where} has no space left: {exception.Message}", exception);
}
