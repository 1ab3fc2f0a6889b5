using NetVips;

namespace ImageService.Bench;

/// <summary>
/// The images every benchmark uses: the largest camera JPEGs from the Debian wallpaper packages, plus two generated
/// with NetVips — a PNG, and a JPEG of at least 40 MP and about 20 MB (the memory benchmark's upload).
/// </summary>
public sealed record BenchImages(IReadOnlyList<string> Photos, string Png, string Large)
{
    /// <summary>Photographs, then the PNG, then the large JPEG.</summary>
    public IReadOnlyList<string> All => [.. Photos, Png, Large];

    public static BenchImages Prepare(BenchOptions options)
    {
        var photos = Directory.EnumerateFiles(options.Photos, "*.jpg", SearchOption.AllDirectories)
            .Select(p => new FileInfo(p)).Where(f => f.Length > 500_000).OrderByDescending(f => f.Length)
            .Select(f => f.FullName).Take(options.Quick ? 3 : 10).ToList();
        Directory.CreateDirectory(options.Work);
        if (photos.Count == 0 || options.Smoke)
        {
            photos = [Synthetic(options.Work, "synthetic-a.jpg", 3000, 2000), Synthetic(options.Work, "synthetic-b.jpg", 2000, 2000)];
        }

        var png = Path.Combine(options.Work, "generated-photo.png");
        if (!File.Exists(png))
        {
            using var source = Image.Thumbnail(photos[^1], 2400);
            source.Pngsave(png);
        }

        // 8,742 × 4,917 = 43 MP from the largest photograph; q95 makes it about 19 MB.
        var large = Path.Combine(options.Work, "generated-43mp.jpg");
        if (!File.Exists(large))
        {
            using var source = Image.NewFromFile(photos[0]);
            using var resized = source.Resize(8742.0 / source.Width);
            resized.Jpegsave(large, q: 95);
        }

        return new BenchImages(photos, png, large);
    }

    /// <summary>
    /// A small photograph for the start-up section's uploads: the smallest camera JPEG scaled to 1,200 pixels across (a
    /// synthetic one under --smoke or without photographs), so that the upload's first-request costs are not lost in
    /// the decoding of a large image.
    /// </summary>
    public static string Small(BenchOptions options)
    {
        Directory.CreateDirectory(options.Work);
        var path = Path.Combine(options.Work, "small-photo.jpg");
        var smallest = options.Smoke || !Directory.Exists(options.Photos) ? null
            : Directory.EnumerateFiles(options.Photos, "*.jpg", SearchOption.AllDirectories).MinBy(p => new FileInfo(p).Length);
        using var photo = Image.Thumbnail(smallest ?? Synthetic(options.Work, "synthetic-b.jpg", 2000, 2000), 1200);
        photo.Jpegsave(path, q: 85);
        return path;
    }

    /// <summary>A noisy gradient JPEG, for smoke runs on a machine without the wallpaper photographs.</summary>
    private static string Synthetic(string folder, string name, int width, int height)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            using var x = Image.Xyz(width, height);
            using var gradient = (x[0] * (255.0 / width)).Bandjoin(x[1] * (255.0 / height), x[0] * 0 + 128);
            using var noise = Image.Gaussnoise(width, height, sigma: 20);
            using var photo = (gradient + noise).Cast(Enums.BandFormat.Uchar);
            photo.Jpegsave(path, q: 90);
        }

        return path;
    }

    public static string Describe(string path)
    {
        using var header = Image.NewFromFile(path);
        return $"{Path.GetFileName(path)} ({header.Width}×{header.Height}, {header.Width * (long)header.Height / 1e6:F0} MP, {new FileInfo(path).Length / 1e6:F1} MB)";
    }
}
