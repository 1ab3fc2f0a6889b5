using ImageService.Testing;

namespace ImageService.Imaging.Tests;

public sealed class FormatSnifferTests
{
    public static TheoryData<string, ImageFormat> Samples => new()
    {
        { "jpeg", ImageFormat.Jpeg },
        { "png", ImageFormat.Png },
        { "webp", ImageFormat.WebP },
        { "gif", ImageFormat.Gif },
        { "avif", ImageFormat.Avif },
        { "heic", ImageFormat.Heic },
        { "svg", ImageFormat.Svg },
        { "text", ImageFormat.Unknown },
        { "empty", ImageFormat.Unknown },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_format_comes_from_the_bytes(string kind, ImageFormat expected)
    {
        byte[] bytes = kind switch
        {
            "jpeg" => TestImages.Jpeg(16, 16),
            "png" => TestImages.Png(16, 16),
            "webp" => TestImages.WebP(16, 16),
            "gif" => TestImages.Gif(16, 16),
            "avif" => TestImages.Avif(16, 16),
            "heic" => TestImages.FakeHeic(),
            "svg" => TestImages.Svg(),
            "text" => TestImages.Text(),
            _ => [],
        };

        Assert.Equal(expected, FormatSniffer.Detect(bytes));
    }

    [Fact]
    public void A_jpeg_polyglot_is_whatever_its_first_bytes_say()
    {
        byte[] htmlFirst = [.. "<html><script>alert(1)</script>"u8, .. TestImages.Jpeg(16, 16)];

        Assert.Equal(ImageFormat.Unknown, FormatSniffer.Detect(htmlFirst));
    }
}
