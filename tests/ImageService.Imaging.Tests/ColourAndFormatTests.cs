using ImageService.Core.Processing;
using ImageService.Testing;

namespace ImageService.Imaging.Tests;

/// <summary>Colour stays right when profiles are stripped, and unusual but valid encodings come out as plain sRGB: both
/// when the image is decoded once into memory and when it streams.</summary>
public abstract class ColourAndFormatTests(long inMemoryDecodeBytes) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("colour-").FullName;
    private readonly VipsImageProcessor processor = new(new UploadLimits(), new ProcessingOptions { InMemoryDecodeBytes = inMemoryDecodeBytes });

    [Fact]
    public async Task A_display_p3_photo_keeps_its_colour_after_the_profile_is_stripped()
    {
        var upload = TestImages.DisplayP3RedJpeg();
        Assert.Contains("icc-profile-data", ImageInspection.MetadataFields(upload));

        var result = await ProcessAsync(upload);

        foreach (var variant in result.Variants)
        {
            var bytes = variant.ReadBytes();
            Assert.Empty(ImageInspection.MetadataFields(bytes));
            var colour = ImageInspection.ColourAt(bytes, 20, 20);
            // Read without the profile, the P3 numbers would be about (230, 49, 35): converted, red is red again.
            Assert.InRange(colour[0], 245, 255);
            Assert.InRange(colour[1], 0, 20);
            Assert.InRange(colour[2], 0, 20);
        }
    }

    [Fact]
    public async Task A_cmyk_jpeg_comes_out_as_three_band_srgb()
    {
        var result = await ProcessAsync(TestImages.CmykRedJpeg());

        var original = result.Variants.Single(v => v.Name == "original").ReadBytes();
        Assert.Equal(3, ImageInspection.Describe(original).Bands);
        Assert.InRange(ImageInspection.ColourAt(original, 20, 20)[0], 200, 255);
    }

    [Fact]
    public async Task A_16_bit_grey_png_is_stored_as_an_8_bit_png()
    {
        var result = await ProcessAsync(TestImages.Grey16Png());

        var original = result.Variants.Single(v => v.Name == "original");
        Assert.Equal("image/png", original.ContentType);
        Assert.Equal((64, 48), (original.Width, original.Height));
    }

    [Fact]
    public async Task An_animated_gif_is_stored_as_its_first_frame()
    {
        var result = await ProcessAsync(TestImages.AnimatedGif(frames: 50));

        Assert.Equal((40, 30), (result.Width, result.Height));
        var original = result.Variants.Single(v => v.Name == "original").ReadBytes();
        var colour = ImageInspection.ColourAt(original, 20, 15);
        Assert.InRange(colour[1], 200, 255); // green, the first frame
        Assert.InRange(colour[0], 0, 60);
    }

    [Fact]
    public async Task A_jpeg_html_polyglot_is_stored_as_the_re_encoded_image_alone()
    {
        var upload = TestImages.JpegHtmlPolyglot();
        Assert.True(ImageInspection.ContainsText(upload, "<script>"));

        var result = await ProcessAsync(upload);

        Assert.All(result.Variants, v => Assert.False(ImageInspection.ContainsText(v.ReadBytes(), "<script>")));
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
    }

    private async Task<ProcessedImage> ProcessAsync(byte[] bytes)
    {
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(path, bytes);
        var result = await processor.ProcessAsync(path, folder, default);
        DecodePath.AssertTaken(processor, inMemoryDecodeBytes);
        return result;
    }
}

public sealed class InMemoryColourAndFormatTests() : ColourAndFormatTests(new ProcessingOptions().InMemoryDecodeBytes);

public sealed class StreamedColourAndFormatTests() : ColourAndFormatTests(0);
