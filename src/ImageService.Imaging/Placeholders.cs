using ImageService.Core;
using ImageService.Core.Processing;
using NetVips;

namespace ImageService.Imaging;

/// <summary>What a client paints before an image's pixels arrive: a ThumbHash of it and its dominant colour, both from
/// a copy of at most 100 × 100 pixels of a rendition already decoded (the display one), never from the original.</summary>
public static class Placeholders
{
    public static (string ThumbHash, string DominantColor) From(Image rendition)
    {
        using var small = rendition.ThumbnailImage(100, height: 100, size: Enums.Size.Down);
        using var srgb = small.Interpretation == Enums.Interpretation.Srgb && small.Format == Enums.BandFormat.Uchar
            ? small.Copy()
            : small.Colourspace(Enums.Interpretation.Srgb).Cast(Enums.BandFormat.Uchar);
        using var rgba = srgb.HasAlpha() ? srgb.Copy() : srgb.Bandjoin(255);
        var pixels = rgba.WriteToMemory<byte>();
        return (Convert.ToBase64String(ThumbHash.Encode(rgba.Width, rgba.Height, pixels)), DominantColor(pixels));
    }

    /// <summary>The longest side of a stored thumbnail the backfill decodes. Ours are at most 320 pixels; a bigger
    /// one is not a thumbnail this service wrote.</summary>
    public const int MaxThumbnailSide = 1024;

    /// <summary>
    /// The placeholder of an image stored before placeholders existed, from its stored thumbnail (WebP) alone. The
    /// thumbnail is the image's centre square, so it is stretched to a box of the image's aspect ratio first: the
    /// ThumbHash then has the image's shape, and its colours are the centre's. A placeholder backfilled this way is
    /// less faithful towards the edges of a wide or tall image than one made at ingest from the display rendition.
    /// The bytes are ours, but still checked: WebP by their signature, at most <see cref="MaxThumbnailSide"/> pixels a
    /// side by the header, before any pixel is decoded.
    /// </summary>
    public static ImagePlaceholder FromStoredThumbnail(byte[] webp, int width, int height)
    {
        if (width < 1 || height < 1)
        {
            throw Unusable($"the record's size, {width} × {height}, is not an image's");
        }

        if (FormatSniffer.Detect(webp.AsSpan(0, Math.Min(webp.Length, 64))) != ImageFormat.WebP)
        {
            throw Unusable("it is not a WebP image");
        }

        try
        {
            using var thumbnail = Image.WebploadBuffer(webp, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
            if (thumbnail.Width > MaxThumbnailSide || thumbnail.PageHeight > MaxThumbnailSide)
            {
                throw Unusable($"it is {thumbnail.Width} × {thumbnail.PageHeight} pixels, more than a thumbnail's {MaxThumbnailSide} a side");
            }

            var (boxWidth, boxHeight) = width >= height
                ? (100, Math.Clamp((int)Math.Round(100.0 * height / width), 1, 100))
                : (Math.Clamp((int)Math.Round(100.0 * width / height), 1, 100), 100);
            using var boxed = thumbnail.ThumbnailImage(boxWidth, height: boxHeight, size: Enums.Size.Force);
            var (thumbHash, dominantColor) = From(boxed);
            return new ImagePlaceholder(thumbHash, dominantColor);
        }
        catch (VipsException e)
        {
            throw Unusable($"it cannot be decoded ({e.Message.Trim()})");
        }
    }

    private static ImageServiceException Unusable(string reason) =>
        ImageServiceException.Unprocessable($"The stored thumbnail cannot give a placeholder: {reason}.");

    /// <summary>The colour most of the picture has: pixels grouped by their top four bits per channel, weighted by
    /// alpha; the average of the heaviest group.</summary>
    public static string DominantColor(ReadOnlySpan<byte> rgba)
    {
        var weights = new double[4096];
        var sums = new double[4096 * 3];
        for (var i = 0; i + 3 < rgba.Length; i += 4)
        {
            var bucket = rgba[i] >> 4 << 8 | rgba[i + 1] >> 4 << 4 | rgba[i + 2] >> 4;
            var alpha = rgba[i + 3] / 255.0;
            weights[bucket] += alpha;
            sums[bucket * 3] += rgba[i] * alpha;
            sums[bucket * 3 + 1] += rgba[i + 1] * alpha;
            sums[bucket * 3 + 2] += rgba[i + 2] * alpha;
        }

        var heaviest = Array.IndexOf(weights, weights.Max());
        var weight = weights[heaviest];
        return weight == 0
            ? "#000000"
            : $"#{(int)Math.Round(sums[heaviest * 3] / weight):x2}{(int)Math.Round(sums[heaviest * 3 + 1] / weight):x2}{(int)Math.Round(sums[heaviest * 3 + 2] / weight):x2}";
    }
}
