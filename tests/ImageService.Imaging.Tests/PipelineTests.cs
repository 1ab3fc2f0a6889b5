using ImageService.Core;
using ImageService.Core.Processing;
using ImageService.Testing;

namespace ImageService.Imaging.Tests;

/// <summary>The pipeline on generated images, judged by the bytes it would store: once with every image decoded once
/// into memory (the default), once with every image streamed (what an image too big for the budget gets).</summary>
public abstract class PipelineTests(long inMemoryDecodeBytes) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("pipeline-").FullName;
    private readonly VipsImageProcessor processor = new(
        new UploadLimits { MaxPixels = 50_000_000 }, new ProcessingOptions { InMemoryDecodeBytes = inMemoryDecodeBytes });

    [Fact]
    public async Task Orientation_is_applied_and_every_trace_of_exif_gps_and_xmp_is_gone()
    {
        var upload = TestImages.JpegWithOrientationAndGps();
        // The test image really carries what we claim to remove.
        Assert.Contains(ImageInspection.MetadataFields(upload), f => f.Contains("GPS", StringComparison.Ordinal));
        Assert.True(ImageInspection.ContainsText(upload, TestImages.XmpPlace));

        var result = await ProcessAsync(upload);

        Assert.Equal((100, 200), (result.Width, result.Height));
        foreach (var variant in result.Variants)
        {
            var bytes = variant.ReadBytes();
            Assert.Empty(ImageInspection.MetadataFields(bytes));
            Assert.False(ImageInspection.ContainsText(bytes, "Exif"), $"{variant.Name} still has an EXIF block");
            Assert.False(ImageInspection.ContainsText(bytes, TestImages.XmpPlace), $"{variant.Name} still has the XMP place name");
        }

        // Rotated 90° clockwise: the red left half is now on top, the blue right half at the bottom.
        var original = Variant(result, "original");
        Assert.Equal((100, 200), (original.Width, original.Height));
        AssertColour([255, 0, 0], ImageInspection.ColourAt(original.ReadBytes(), 50, 40));
        AssertColour([0, 0, 255], ImageInspection.ColourAt(original.ReadBytes(), 50, 160));
        var display = Variant(result, "display").ReadBytes();
        Assert.Equal(100, ImageInspection.Describe(display).Width);
        AssertColour([255, 0, 0], ImageInspection.ColourAt(display, 50, 40));
    }

    [Fact]
    public async Task A_photo_gets_a_square_thumbnail_a_feed_sized_display_and_a_full_size_jpeg()
    {
        var result = await ProcessAsync(TestImages.Jpeg(4000, 3000));

        var thumbnail = ImageInspection.Describe(Variant(result, "thumbnail").ReadBytes());
        var display = ImageInspection.Describe(Variant(result, "display").ReadBytes());
        var original = ImageInspection.Describe(Variant(result, "original").ReadBytes());
        Assert.Equal((320, 320, "webpload_buffer"), (thumbnail.Width, thumbnail.Height, thumbnail.Loader));
        Assert.Equal((1080, 810, "webpload_buffer"), (display.Width, display.Height, display.Loader));
        Assert.Equal((4000, 3000, "jpegload_buffer"), (original.Width, original.Height, original.Loader));
        Assert.Equal("image/jpeg", Variant(result, "original").ContentType);
    }

    [Fact]
    public async Task A_tall_portrait_fits_the_feed_box_by_height_and_a_small_image_is_never_enlarged()
    {
        var tall = await ProcessAsync(TestImages.Jpeg(1200, 3000));
        var small = await ProcessAsync(TestImages.Png(200, 100));

        Assert.Equal((540, 1350), (Variant(tall, "display").Width, Variant(tall, "display").Height));
        Assert.Equal((200, 100), (Variant(small, "display").Width, Variant(small, "display").Height));
        Assert.Equal((100, 100), (Variant(small, "thumbnail").Width, Variant(small, "thumbnail").Height));
    }

    [Theory]
    [InlineData(4000, 1000)]
    [InlineData(1000, 4000)]
    [InlineData(8000, 1200)]
    [InlineData(333, 7000)]
    public async Task Thumbnails_are_full_size_squares_even_for_panoramas(int width, int height)
    {
        var result = await ProcessAsync(TestImages.Jpeg(width, height));

        var thumbnail = ImageInspection.Describe(Variant(result, "thumbnail").ReadBytes());
        Assert.Equal((320, 320), (thumbnail.Width, thumbnail.Height));
        var display = Variant(result, "display");
        Assert.True(display.Width <= 1080 && display.Height <= 1350, $"display {display.Width}x{display.Height}");
        Assert.True(display.Width == 1080 || display.Height == 1350, $"display {display.Width}x{display.Height} does not fill the box");
    }

    [Fact]
    public async Task Transparency_survives_in_a_png_original_and_webp_variants()
    {
        var result = await ProcessAsync(TestImages.PngWithAlpha(300, 200));

        var original = Variant(result, "original");
        Assert.Equal("image/png", original.ContentType);
        var described = ImageInspection.Describe(original.ReadBytes());
        Assert.Equal(4, described.Bands);
        Assert.Equal(255, ImageInspection.AlphaAt(original.ReadBytes(), 10, 100));
        Assert.Equal(0, ImageInspection.AlphaAt(original.ReadBytes(), 290, 100));
        Assert.Equal(4, ImageInspection.Describe(Variant(result, "display").ReadBytes()).Bands);
    }

    [Theory]
    [InlineData("webp", "WEBP")]
    [InlineData("gif", "GIF")]
    [InlineData("avif", "AVIF")]
    public async Task Other_accepted_formats_are_decoded_from_their_bytes(string kind, string expectedFormat)
    {
        var bytes = kind switch
        {
            "webp" => TestImages.WebP(300, 200),
            "gif" => TestImages.Gif(120, 80),
            _ => TestImages.Avif(96, 64),
        };

        var result = await ProcessAsync(bytes, "photo.jpg");

        Assert.Equal(expectedFormat, result.SourceFormat);
        Assert.Equal(3, result.Variants.Count);
        Assert.All(result.Variants, v => Assert.True(v.Length > 0 && new FileInfo(v.FilePath).Length == v.Length));
    }

    [Fact]
    public async Task With_placeholders_turned_off_an_image_gets_no_placeholder_or_colour_and_the_same_variants()
    {
        var upload = Path.Combine(folder, $"{Guid.NewGuid():N}-upload.bin");
        await File.WriteAllBytesAsync(upload, TestImages.Jpeg(1600, 1200, [230, 120, 30]));
        var off = new VipsImageProcessor(
            new UploadLimits { MaxPixels = 50_000_000 }, new ProcessingOptions { InMemoryDecodeBytes = inMemoryDecodeBytes, Placeholders = false });

        using var with = await processor.ProcessAsync(upload, folder, default);
        using var without = await off.ProcessAsync(upload, folder, default);

        Assert.NotNull(with.Placeholder);
        Assert.Matches("^#[0-9a-f]{6}\\z", with.DominantColor);
        Assert.Null(without.Placeholder);
        Assert.Null(without.DominantColor);
        Assert.Equal(with.Variants.Select(v => v.ReadBytes()), without.Variants.Select(v => v.ReadBytes()));
    }

    [Fact]
    public async Task A_truncated_jpeg_is_unprocessable_and_leaves_no_variant_files()
    {
        var error = await Assert.ThrowsAsync<ImageServiceException>(() => ProcessAsync(TestImages.Truncated(TestImages.NoisyJpeg())));

        Assert.Equal(ImageErrorKind.Unprocessable, error.Kind);
        Assert.Contains("corrupt or truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(["upload.bin"], FilesLeft());
    }

    [Fact]
    public async Task Variants_are_separate_files_in_the_output_folder_until_the_result_is_disposed()
    {
        var bytes = TestImages.Jpeg(1600, 1200);
        var first = await ProcessAsync(bytes);
        var second = await ProcessAsync(bytes);

        // Two results from one image do not share files, and each file holds what the variant says.
        Assert.Equal(6, first.Variants.Concat(second.Variants).Select(v => v.FilePath).Distinct().Count());
        Assert.All(first.Variants, v => Assert.Equal(folder, Path.GetDirectoryName(v.FilePath)));
        Assert.All(first.Variants, v => Assert.Equal(new FileInfo(v.FilePath).Length, v.Length));
        Assert.All(first.Variants, v => Assert.EndsWith("." + v.Extension, v.FilePath, StringComparison.Ordinal));

        first.Dispose();
        second.Dispose();
        Assert.Equal(["upload.bin", "upload.bin"], FilesLeft());
    }

    [Fact]
    public async Task A_header_claiming_ten_billion_pixels_is_refused_before_decoding()
    {
        var error = await Assert.ThrowsAsync<ImageServiceException>(() => ProcessAsync(TestImages.PngClaiming(100_000, 100_000)));

        Assert.Equal(ImageErrorKind.Unprocessable, error.Kind);
        Assert.Contains("10,000,000,000 pixels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_pixel_flood_png_is_refused_by_its_header()
    {
        var flood = TestImages.PixelFloodPng(10_000, 10_000);
        Assert.True(flood.Length < 1_000_000, "the flood must be small on disk to be a flood");

        var error = await Assert.ThrowsAsync<ImageServiceException>(() => ProcessAsync(flood));

        Assert.Equal(ImageErrorKind.Unprocessable, error.Kind);
        Assert.Contains("100,000,000 pixels", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("svg", "SVG")]
    [InlineData("text", "not an image format")]
    public async Task Non_images_and_refused_formats_are_unsupported_whatever_their_name(string kind, string named)
    {
        var bytes = kind == "svg" ? TestImages.Svg() : TestImages.Text();

        var error = await Assert.ThrowsAsync<ImageServiceException>(() => ProcessAsync(bytes, "innocent.jpg"));

        Assert.Equal(ImageErrorKind.UnsupportedFormat, error.Kind);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("JPEG, PNG, WebP, GIF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_heic_this_libvips_cannot_decode_is_unsupported_and_says_why()
    {
        var error = await Assert.ThrowsAsync<ImageServiceException>(() => ProcessAsync(TestImages.FakeHeic(), "IMG_0001.HEIC"));

        Assert.Equal(ImageErrorKind.UnsupportedFormat, error.Kind);
        Assert.Contains("HEIC", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
    }

    private async Task<ProcessedImage> ProcessAsync(byte[] bytes, string name = "upload.bin")
    {
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}-{name}");
        await File.WriteAllBytesAsync(path, bytes);
        var result = await processor.ProcessAsync(path, folder, default);
        DecodePath.AssertTaken(processor, inMemoryDecodeBytes);
        return result;
    }

    // Uploads are written as {guid}-{name}; everything else in the folder came from the processor.
    private string[] FilesLeft() =>
        [.. Directory.EnumerateFiles(folder).Select(f => Path.GetFileName(f) is var n && n.Length > 33 && n[32] == '-' ? n[33..] : n).Order()];

    private static EncodedVariant Variant(ProcessedImage image, string name) => image.Variants.Single(v => v.Name == name);

    private static void AssertColour(double[] expected, double[] actual)
    {
        for (var band = 0; band < expected.Length; band++)
        {
            Assert.InRange(actual[band], expected[band] - 30, expected[band] + 30);
        }
    }
}

public sealed class InMemoryPipelineTests() : PipelineTests(new ProcessingOptions().InMemoryDecodeBytes);

public sealed class StreamedPipelineTests() : PipelineTests(0);
