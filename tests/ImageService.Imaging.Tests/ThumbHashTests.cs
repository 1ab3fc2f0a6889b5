using System.Text.Json;
using ImageService.Imaging;
using ImageService.Testing;

namespace ImageService.Imaging.Tests;

/// <summary>Our ThumbHash encoder, checked against the format's reference decoder (the <c>thumbhash</c> npm package,
/// pinned in tests/emulators) run under Node: what it decodes must look like the image that was encoded.</summary>
public sealed class ThumbHashTests
{
    [Theory]
    [InlineData(100, 75, false)]
    [InlineData(40, 100, false)]
    [InlineData(100, 100, true)]
    public async Task The_reference_decoder_gets_back_the_images_colours_aspect_and_layout(int width, int height, bool transparent)
    {
        var rgba = Picture(width, height, transparent);

        var hash = ThumbHash.Encode(width, height, rgba);
        var decoded = await ThumbHashReference.DecodeAsync(hash);

        Assert.InRange(hash.Length, 5, 40);
        Assert.Equal(transparent, decoded.GetProperty("hasAlpha").GetBoolean());
        Assert.InRange(decoded.GetProperty("aspect").GetDouble(), (double)width / height * 0.8, (double)width / height * 1.25);
        var average = Average(rgba);
        var decodedAverage = decoded.GetProperty("average").EnumerateArray().Select(v => v.GetDouble() * 255).ToArray();
        for (var channel = 0; channel < 3; channel++)
        {
            Assert.InRange(decodedAverage[channel], average[channel] - 12, average[channel] + 12);
        }

        // The picture is a left-to-right gradient from red to blue: the decoded picture's left is redder than its right.
        var pixels = decoded.GetProperty("rgba").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var decodedWidth = decoded.GetProperty("w").GetInt32();
        var decodedHeight = decoded.GetProperty("h").GetInt32();
        var (leftRed, leftBlue) = ColumnAverage(pixels, decodedWidth, decodedHeight, 1);
        var (rightRed, rightBlue) = ColumnAverage(pixels, decodedWidth, decodedHeight, decodedWidth - 2);
        Assert.True(leftRed > rightRed + 40 && rightBlue > leftBlue + 40, $"left ({leftRed}, {leftBlue}) right ({rightRed}, {rightBlue})");
    }

    [Fact]
    public void Images_larger_than_100_pixels_or_with_the_wrong_byte_count_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ThumbHash.Encode(101, 10, new byte[101 * 10 * 4]));
        Assert.Throws<ArgumentException>(() => ThumbHash.Encode(10, 10, new byte[10]));
    }

    /// <summary>A red-to-blue gradient over green noise-free bands; with <paramref name="transparent"/>, its top half clear.</summary>
    private static byte[] Picture(int width, int height, bool transparent)
    {
        var rgba = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (x + y * width) * 4;
                var t = (double)x / (width - 1);
                rgba[i] = (byte)(230 * (1 - t) + 20);
                rgba[i + 1] = (byte)(60 + 40 * (y * 4 / height % 2));
                rgba[i + 2] = (byte)(230 * t + 20);
                rgba[i + 3] = (byte)(transparent && y < height / 2 ? 0 : 255);
            }
        }

        return rgba;
    }

    private static double[] Average(byte[] rgba)
    {
        double r = 0, g = 0, b = 0, weight = 0;
        for (var i = 0; i < rgba.Length; i += 4)
        {
            var alpha = rgba[i + 3] / 255.0;
            r += rgba[i] * alpha;
            g += rgba[i + 1] * alpha;
            b += rgba[i + 2] * alpha;
            weight += alpha;
        }

        return [r / weight, g / weight, b / weight];
    }

    private static (double Red, double Blue) ColumnAverage(int[] rgba, int width, int height, int column)
    {
        double red = 0, blue = 0, weight = 0;
        for (var y = 0; y < height; y++)
        {
            var i = (column + y * width) * 4;
            var alpha = rgba[i + 3] / 255.0;
            red += rgba[i] * alpha;
            blue += rgba[i + 2] * alpha;
            weight += alpha;
        }

        return (red / weight, blue / weight);
    }
}
