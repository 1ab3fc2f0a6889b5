namespace ImageService.Core.Processing;

/// <summary>Upload limits, bound from the <c>Limits</c> configuration section and published at <c>GET /limits</c>.</summary>
public sealed class UploadLimits
{
    public const string Section = "Limits";

    /// <summary>Largest accepted file, in bytes (default 50 MiB).</summary>
    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Most pixels (width × height, read from the header before decoding) an image may have (default 100 MP).</summary>
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Largest accepted <c>metadata</c> form part, in bytes.</summary>
    public int MaxMetadataBytes { get; set; } = 64 * 1024;

    /// <summary>Instagram's caption limit.</summary>
    public const int MaxCaptionLength = 2200;

    /// <summary>Instagram's hashtag limit, counting tags and hashtags in the caption together.</summary>
    public const int MaxTags = 30;

    public const int MaxTagLength = 64;

    /// <summary>Longest alt text, in characters: a description, not an essay.</summary>
    public const int MaxAltTextLength = 1000;

    public const int MaxUserIdLength = 128;

    /// <summary>Returns the problems with these settings, each naming its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxUploadBytes is < 1024 or > 2L * 1024 * 1024 * 1024)
        {
            yield return "Limits:MaxUploadBytes must be between 1024 and 2147483648 bytes.";
        }

        if (MaxPixels is < 1 or > 1_000_000_000)
        {
            yield return "Limits:MaxPixels must be between 1 and 1000000000.";
        }

        if (MaxMetadataBytes is < 1024 or > 1024 * 1024)
        {
            yield return "Limits:MaxMetadataBytes must be between 1024 and 1048576 bytes.";
        }
    }
}
