using ImageService.Core;
using ImageService.Testing;
using NetVips;

namespace ImageService.Imaging.Tests;

/// <summary>The backfill's placeholders, made from a stored thumbnail (the centre square) alone: the image's shape and
/// the thumbnail's layout, checked with the reference decoder; and bytes that are no thumbnail of ours refused.</summary>
public sealed class StoredThumbnailPlaceholderTests
{
    [Theory]
    [InlineData(1600, 900)]
    [InlineData(600, 1200)]
    [InlineData(5000, 100)]
    public async Task The_square_thumbnail_gives_a_placeholder_of_the_images_shape_with_its_layout(int width, int height)
    {
        // Red on the left half of the square, blue on the right.
        using var red = Solid(160, 320, [230, 20, 20]);
        using var blue = Solid(160, 320, [20, 20, 230]);
        using var square = red.Join(blue, Enums.Direction.Horizontal);

        var placeholder = Placeholders.FromStoredThumbnail(square.WebpsaveBuffer(q: 75), width, height);
        var decoded = await ThumbHashReference.DecodeAsync(Convert.FromBase64String(placeholder.ThumbHash));

        Assert.False(decoded.GetProperty("hasAlpha").GetBoolean());
        var aspect = (double)width / height;
        Assert.InRange(decoded.GetProperty("aspect").GetDouble(), Math.Min(aspect, 7) * 0.8, aspect * 1.25); // ThumbHash stops near 7:1
        var pixels = decoded.GetProperty("rgba").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var (decodedWidth, decodedHeight) = (decoded.GetProperty("w").GetInt32(), decoded.GetProperty("h").GetInt32());
        var (leftRed, leftBlue) = Column(pixels, decodedWidth, decodedHeight, 0);
        var (rightRed, rightBlue) = Column(pixels, decodedWidth, decodedHeight, decodedWidth - 1);
        Assert.True(leftRed > rightRed + 40 && rightBlue > leftBlue + 40, $"left ({leftRed}, {leftBlue}) right ({rightRed}, {rightBlue})");
    }

    [Fact]
    public async Task A_transparent_thumbnail_gives_a_transparent_placeholder()
    {
        var placeholder = Placeholders.FromStoredThumbnail(ToWebp(TestImages.PngWithAlpha(320, 320)), 1200, 800);

        var decoded = await ThumbHashReference.DecodeAsync(Convert.FromBase64String(placeholder.ThumbHash));

        Assert.True(decoded.GetProperty("hasAlpha").GetBoolean());
        var color = Convert.FromHexString(placeholder.DominantColor[1..]);
        Assert.True(color[0] > 240 && color[1] < 15 && color[2] < 15, placeholder.DominantColor); // the opaque half's red, lossy WebP
    }

    public static TheoryData<string, byte[], int, int> NotOurThumbnails()
    {
        var webp = TestImages.WebP(320, 320);
        using var wide = Solid(1100, 300, [1, 2, 3]);
        return new()
        {
            { "a PNG", TestImages.Png(320, 320), 1080, 720 },
            { "a JPEG", TestImages.Jpeg(320, 320), 1080, 720 },
            { "a truncated WebP", webp[..(webp.Length / 2)], 1080, 720 },
            { "a WebP header and nothing else", [.. "RIFF\x10\0\0\0WEBPVP8 "u8], 1080, 720 },
            { "a WebP more than 1024 pixels wide", wide.WebpsaveBuffer(lossless: true), 1080, 720 },
            { "empty", [], 1080, 720 },
            { "a record of no size", webp, 0, 720 },
        };
    }

    [Theory]
    [MemberData(nameof(NotOurThumbnails))]
    public void Bytes_that_are_no_thumbnail_of_ours_are_refused(string what, byte[] bytes, int width, int height)
    {
        var refused = Assert.Throws<ImageServiceException>(() => Placeholders.FromStoredThumbnail(bytes, width, height));

        Assert.StartsWith("The stored thumbnail cannot give a placeholder", refused.Message, StringComparison.Ordinal);
        Assert.NotEmpty(what);
    }

    private static Image Solid(int width, int height, double[] colour)
    {
        using var black = Image.Black(width, height, bands: 3);
        using var filled = black + colour;
        return filled.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    private static byte[] ToWebp(byte[] png)
    {
        using var image = Image.NewFromBuffer(png);
        return image.WebpsaveBuffer(q: 75);
    }

    private static (double Red, double Blue) Column(int[] rgba, int width, int height, int column)
    {
        double red = 0, blue = 0;
        for (var y = 0; y < height; y++)
        {
            red += rgba[(column + y * width) * 4];
            blue += rgba[(column + y * width) * 4 + 2];
        }

        return (red / height, blue / height);
    }
}
