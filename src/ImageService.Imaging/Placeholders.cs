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
