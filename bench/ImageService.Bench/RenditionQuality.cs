using System.Globalization;
using System.Text;
using ImageService.Core.Processing;
using ImageService.Imaging;
using NetVips;

namespace ImageService.Bench;

/// <summary>
/// What the in-memory path changes in what is stored, image by image: the same image through the default processor
/// (decoded once into memory) and through one with no in-memory budget (streamed, as every image was before issue 15
/// and as an image over the budget still is). The originals are compared byte for byte; the display renditions are
/// each compared with an exact reference (the full-size upright sRGB image resized in floating point with a Lanczos-3
/// kernel straight to the display's size), as a peak signal-to-noise ratio: higher is closer.
/// </summary>
public static class RenditionQuality
{
    public sealed record Row(string Image, bool FitsDefault, double InMemoryCpu, double StreamedCpu, long InMemoryBytes, long StreamedBytes, bool SameOriginal,
        double InMemoryDisplayDb, double StreamedDisplayDb, double ThumbnailDb);

    public static async Task<Row> MeasureAsync(string image, string variants, int repeats)
    {
        var limits = new UploadLimits { MaxPixels = 1_000_000_000 };
        var byDefault = new VipsImageProcessor(limits, new ProcessingOptions { VipsConcurrency = 1 });
        (await byDefault.ProcessAsync(image, variants, default)).Dispose();
        // Both paths for every image, whether or not it fits the default budget.
        var inMemory = new VipsImageProcessor(limits, new ProcessingOptions { VipsConcurrency = 1, InMemoryDecodeBytes = 64L << 30 });
        var streamed = new VipsImageProcessor(limits, new ProcessingOptions { VipsConcurrency = 1, InMemoryDecodeBytes = 0 });
        using var a = await inMemory.ProcessAsync(image, variants, default);
        using var b = await streamed.ProcessAsync(image, variants, default);

        var inMemoryCpu = Stats.Median(await ProcessingBenchmark.RepeatAsync(repeats, () => inMemory.ProcessAsync(image, variants, default)));
        var streamedCpu = Stats.Median(await ProcessingBenchmark.RepeatAsync(repeats, () => streamed.ProcessAsync(image, variants, default)));
        var sameOriginal = File.ReadAllBytes(Variant(a, "original")).AsSpan().SequenceEqual(File.ReadAllBytes(Variant(b, "original")));
        using var displayA = Image.NewFromFile(Variant(a, "display"));
        using var displayB = Image.NewFromFile(Variant(b, "display"));
        using var reference = Reference(image, displayA.Width, displayA.Height);
        using var thumbnailA = Image.NewFromFile(Variant(a, "thumbnail"));
        using var thumbnailB = Image.NewFromFile(Variant(b, "thumbnail"));
        return new Row(Path.GetFileName(image), byDefault.Budget.Granted > 0, inMemoryCpu, streamedCpu, a.Variants.Sum(v => v.Length), b.Variants.Sum(v => v.Length), sameOriginal,
            PeakSignalToNoise(displayA, reference), PeakSignalToNoise(displayB, reference), PeakSignalToNoise(thumbnailA, thumbnailB));
    }

    public static string Markdown(IReadOnlyList<Row> rows)
    {
        var table = new StringBuilder();
        table.AppendLine("| Image | By default | CPU in memory | CPU streamed | In memory / streamed | Renditions' bytes in memory / streamed | Original | Display vs exact: in memory | streamed | Thumbnails, one vs the other |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var row in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Image} | {(row.FitsDefault ? "in memory" : "streamed")} | {row.InMemoryCpu:F3} | {row.StreamedCpu:F3} | {row.InMemoryCpu / row.StreamedCpu:F2} × | {(double)row.InMemoryBytes / row.StreamedBytes:F3} × | {(row.SameOriginal ? "identical" : "**differs**")} | {Decibels(row.InMemoryDisplayDb)} | {Decibels(row.StreamedDisplayDb)} | {Decibels(row.ThumbnailDb)} |");
        }

        return table.ToString();
    }

    private static string Decibels(double value) => double.IsPositiveInfinity(value) ? "identical" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} dB");

    private static string Variant(ProcessedImage image, string name) => image.Variants.Single(v => v.Name == name).FilePath;

    private static Image Reference(string path, int width, int height)
    {
        using var full = Image.NewFromFile(path, access: Enums.Access.Sequential);
        using var upright = full.Autorot();
        using var srgb = upright.Contains("icc-profile-data")
            ? upright.IccTransform("srgb", embedded: true, intent: Enums.Intent.Perceptual, depth: 8)
            : upright.Colourspace(Enums.Interpretation.Srgb);
        using var exact = srgb.Cast(Enums.BandFormat.Float);
        using var resized = exact.Resize((double)width / exact.Width, vscale: (double)height / exact.Height, kernel: Enums.Kernel.Lanczos3);
        return resized.CopyMemory();
    }

    private static double PeakSignalToNoise(Image first, Image second)
    {
        using var a = first.Cast(Enums.BandFormat.Float);
        using var b = second.Cast(Enums.BandFormat.Float);
        using var difference = a - b;
        using var squared = difference * difference;
        var meanSquare = squared.Avg();
        return meanSquare == 0 ? double.PositiveInfinity : 10 * Math.Log10(255 * 255 / meanSquare);
    }
}
