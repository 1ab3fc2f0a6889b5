using NetVips;

namespace ImageService.Bench;

/// <summary>The photos of the compute section: the bench set's camera JPEGs of phone size, 8 to 18 megapixels, largest
/// file first; in a smoke run (or without the photographs) the generated ones of section 1.</summary>
public static class LambdaComputePhotos
{
    public const double MinMegapixels = 8;
    public const double MaxMegapixels = 18;

    public static List<string> Choose(BenchOptions options)
    {
        var phone = options.Smoke || !Directory.Exists(options.Photos)
            ? []
            : Directory.EnumerateFiles(options.Photos, "*.jpg", SearchOption.AllDirectories)
                .Where(path => Megapixels(path) is >= MinMegapixels and <= MaxMegapixels)
                .OrderByDescending(path => new FileInfo(path).Length)
                .ToList();
        return phone.Count > 0 ? phone : [.. BenchImages.Prepare(options).Photos];
    }

    /// <summary>Whether a JPEG is progressive (interlaced), which shrink-on-load can do little for.</summary>
    public static bool Progressive(string path)
    {
        using var header = Image.NewFromFile(path);
        return header.Contains("interlaced") && Convert.ToInt32(header.Get("interlaced"), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    public static double Megapixels(string path)
    {
        using var header = Image.NewFromFile(path);
        return header.Width * (double)header.Height / 1e6;
    }
}
