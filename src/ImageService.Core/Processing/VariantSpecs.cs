namespace ImageService.Core.Processing;

/// <summary>The renditions stored for every image. The processor encodes these; <c>GET /limits</c> publishes them.</summary>
public static class VariantSpecs
{
    /// <summary>Square crop for grids.</summary>
    public static readonly VariantSpec Thumbnail = new(Images.VariantNames.Thumbnail, 320, 320, "image/webp", 75, "square centre crop (the short side, if under 320 px)");

    /// <summary>Fits within Instagram's feed box (1080 × 1350), never enlarged.</summary>
    public static readonly VariantSpec Display = new(Images.VariantNames.Display, 1080, 1350, "image/webp", 80, "fit within, never enlarged");

    /// <summary>Full resolution, re-encoded: JPEG for photographs, PNG for lossless or transparent sources.</summary>
    public static readonly VariantSpec Original = new(Images.VariantNames.Original, 0, 0, "image/jpeg or image/png", 90, "full resolution");

    public static IReadOnlyList<VariantSpec> All { get; } = [Thumbnail, Display, Original];
}

/// <summary>How one variant is produced: its bounding box (0 = unbounded), format, quality and fitting rule.</summary>
public sealed record VariantSpec(string Name, int MaxWidth, int MaxHeight, string Format, int Quality, string Fit);
