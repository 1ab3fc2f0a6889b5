using System.Text;
using NetVips;

namespace ImageService.Testing;

/// <summary>Looks inside encoded images the way a curious downloader would.</summary>
public static class ImageInspection
{
    /// <summary>Metadata a decoder finds: EXIF, XMP, IPTC and ICC fields.</summary>
    public static IReadOnlyList<string> MetadataFields(byte[] encoded)
    {
        using var image = Image.NewFromBuffer(encoded);
        return [.. image.GetFields().Where(f => f.StartsWith("exif", StringComparison.Ordinal) || f is "xmp-data" or "iptc-data" or "icc-profile-data")];
    }

    /// <summary>True when the raw bytes contain the ASCII text anywhere (catches metadata a decoder would not report).</summary>
    public static bool ContainsText(byte[] encoded, string text) =>
        encoded.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;

    public static (int Width, int Height, int Bands, string Loader) Describe(byte[] encoded)
    {
        using var image = Image.NewFromBuffer(encoded);
        return (image.Width, image.Height, image.Bands, (string)image.Get("vips-loader"));
    }

    /// <summary>The average colour of a small box centred on (x, y).</summary>
    public static double[] ColourAt(byte[] encoded, int x, int y)
    {
        using var image = Image.NewFromBuffer(encoded);
        using var box = image.ExtractArea(Math.Max(0, x - 2), Math.Max(0, y - 2), 4, 4);
        return [.. Enumerable.Range(0, Math.Min(3, image.Bands)).Select(band => box[band].Avg())];
    }

    public static double AlphaAt(byte[] encoded, int x, int y)
    {
        using var image = Image.NewFromBuffer(encoded);
        using var box = image.ExtractArea(x, y, 1, 1);
        return box[image.Bands - 1].Avg();
    }
}
