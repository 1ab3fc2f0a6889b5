namespace ImageService.Imaging;

/// <summary>What the first bytes of a file say it is.</summary>
public enum ImageFormat
{
    Unknown,
    Jpeg,
    Png,
    WebP,
    Gif,
    Avif,
    Heic,
    // Recognised only to name them in the refusal.
    Svg,
    Tiff,
    Bmp,
    Pdf,
    Jxl,
}
