namespace ImageService.Imaging;

/// <summary>
/// ThumbHash encoding (Evan Wallace's format, see https://evanw.github.io/thumbhash/): a few dozen bytes that decode to a
/// blurred picture of the image, aspect ratio and alpha included. The image, at most 100 × 100 pixels, is turned into
/// luminance, two colour-difference channels and alpha; each channel's low-frequency cosine coefficients are quantised
/// into a header (the averages, the scales, the layout) followed by one nibble per coefficient.
/// </summary>
public static class ThumbHash
{
    /// <summary>Encodes <paramref name="rgba"/>, <paramref name="width"/> × <paramref name="height"/> pixels of 8-bit RGBA
    /// (neither side above 100).</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> rgba)
    {
        if (width is < 1 or > 100 || height is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "ThumbHash takes images of at most 100 × 100 pixels.");
        }

        if (rgba.Length != width * height * 4)
        {
            throw new ArgumentException("Expected 4 bytes (RGBA) per pixel.", nameof(rgba));
        }

        var pixels = width * height;

        // The alpha-weighted average colour: transparent pixels take it, so they do not drag the colours towards black.
        double averageR = 0, averageG = 0, averageB = 0, averageA = 0;
        for (var i = 0; i < pixels; i++)
        {
            var alpha = rgba[i * 4 + 3] / 255.0;
            averageR += alpha / 255.0 * rgba[i * 4];
            averageG += alpha / 255.0 * rgba[i * 4 + 1];
            averageB += alpha / 255.0 * rgba[i * 4 + 2];
            averageA += alpha;
        }

        if (averageA > 0)
        {
            averageR /= averageA;
            averageG /= averageA;
            averageB /= averageA;
        }

        var hasAlpha = averageA < pixels;
        var componentLimit = hasAlpha ? 5 : 7;
        var longSide = Math.Max(width, height);
        var lx = Math.Max(1, (int)Math.Round(componentLimit * (double)width / longSide));
        var ly = Math.Max(1, (int)Math.Round(componentLimit * (double)height / longSide));

        var l = new double[pixels];
        var p = new double[pixels];
        var q = new double[pixels];
        var a = new double[pixels];
        for (var i = 0; i < pixels; i++)
        {
            var alpha = rgba[i * 4 + 3] / 255.0;
            var r = averageR * (1 - alpha) + alpha / 255.0 * rgba[i * 4];
            var g = averageG * (1 - alpha) + alpha / 255.0 * rgba[i * 4 + 1];
            var b = averageB * (1 - alpha) + alpha / 255.0 * rgba[i * 4 + 2];
            l[i] = (r + g + b) / 3;
            p[i] = (r + g) / 2 - b;
            q[i] = r - g;
            a[i] = alpha;
        }

        var lChannel = Channel.Of(l, width, height, Math.Max(3, lx), Math.Max(3, ly));
        var pChannel = Channel.Of(p, width, height, 3, 3);
        var qChannel = Channel.Of(q, width, height, 3, 3);
        var aChannel = hasAlpha ? Channel.Of(a, width, height, 5, 5) : null;

        var landscape = width > height;
        var header24 = (int)Math.Round(63 * lChannel.Dc)
                       | (int)Math.Round(31.5 + 31.5 * pChannel.Dc) << 6
                       | (int)Math.Round(31.5 + 31.5 * qChannel.Dc) << 12
                       | (int)Math.Round(31 * lChannel.Scale) << 18
                       | (hasAlpha ? 1 : 0) << 23;
        var header16 = (landscape ? ly : lx)
                       | (int)Math.Round(63 * pChannel.Scale) << 3
                       | (int)Math.Round(63 * qChannel.Scale) << 9
                       | (landscape ? 1 : 0) << 15;

        var hash = new List<byte>(40)
        {
            (byte)(header24 & 255), (byte)(header24 >> 8 & 255), (byte)(header24 >> 16), (byte)(header16 & 255), (byte)(header16 >> 8),
        };
        if (aChannel is not null)
        {
            hash.Add((byte)((int)Math.Round(15 * aChannel.Dc) | (int)Math.Round(15 * aChannel.Scale) << 4));
        }

        // The coefficients, two to a byte, low nibble first.
        var odd = false;
        foreach (var channel in aChannel is null ? [lChannel, pChannel, qChannel] : new[] { lChannel, pChannel, qChannel, aChannel })
        {
            foreach (var coefficient in channel.Ac)
            {
                var nibble = (byte)Math.Round(15 * coefficient);
                if (odd)
                {
                    hash[^1] |= (byte)(nibble << 4);
                }
                else
                {
                    hash.Add(nibble);
                }

                odd = !odd;
            }
        }

        return [.. hash];
    }

    /// <summary>One channel's average (<see cref="Dc"/>), its other coefficients mapped into [0, 1] around 0.5, and the
    /// largest of their magnitudes (<see cref="Scale"/>) by which they were divided.</summary>
    private sealed record Channel(double Dc, double[] Ac, double Scale)
    {
        /// <summary>The cosine coefficients of a triangle of frequencies: <c>cx * ny &lt; nx * (ny - cy)</c>.</summary>
        public static Channel Of(double[] values, int width, int height, int nx, int ny)
        {
            double dc = 0, scale = 0;
            var ac = new List<double>();
            var fx = new double[width];
            for (var cy = 0; cy < ny; cy++)
            {
                for (var cx = 0; cx * ny < nx * (ny - cy); cx++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        fx[x] = Math.Cos(Math.PI / width * cx * (x + 0.5));
                    }

                    double f = 0;
                    for (var y = 0; y < height; y++)
                    {
                        var fy = Math.Cos(Math.PI / height * cy * (y + 0.5));
                        for (var x = 0; x < width; x++)
                        {
                            f += values[x + y * width] * fx[x] * fy;
                        }
                    }

                    f /= width * height;
                    if (cx > 0 || cy > 0)
                    {
                        ac.Add(f);
                        scale = Math.Max(scale, Math.Abs(f));
                    }
                    else
                    {
                        dc = f;
                    }
                }
            }

            var normalised = scale > 0 ? ac.Select(f => 0.5 + 0.5 / scale * f).ToArray() : [.. ac];
            return new Channel(dc, normalised, scale);
        }
    }
}
