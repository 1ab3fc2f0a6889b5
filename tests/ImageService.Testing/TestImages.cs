using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NetVips;

namespace ImageService.Testing;

/// <summary>Images made on the fly for tests: real encodings from libvips, plus hand-built hostile files.</summary>
public static class TestImages
{
    public static byte[] Jpeg(int width = 640, int height = 480, double[]? colour = null) =>
        Solid(width, height, colour ?? [200, 120, 40]).JpegsaveBuffer(q: 90);

    /// <summary>
    /// A JPEG that reads as a picture at thumbnail size, for screenshots and grids: a sky graded from one colour to
    /// another, a sun and a horizon, the palette and the layout picked by <paramref name="variant"/>.
    /// </summary>
    public static byte[] Landscape(int variant, int width = 1200, int height = 900)
    {
        double[][] skies =
        [
            [250, 180, 90], [40, 70, 160], [255, 120, 110], [30, 30, 70], [120, 190, 235], [200, 110, 170],
            [250, 210, 140], [60, 120, 120], [235, 150, 60], [90, 60, 140], [170, 215, 240], [240, 90, 60],
        ];
        var top = skies[variant % skies.Length];
        var bottom = skies[(variant * 5 + 3) % skies.Length];
        double[] sun = variant % 3 == 0 ? [255, 245, 200] : variant % 3 == 1 ? [255, 200, 120] : [250, 250, 250];
        double[] ground = [30 + (variant * 37 % 60), 50 + (variant * 23 % 70), 40 + (variant * 11 % 40)];
        var horizon = height * (0.55 + (variant % 4) * 0.08);
        var (sunX, sunY, radius) = (width * (0.2 + (variant * 0.13 % 0.6)), horizon - height * (0.12 + (variant % 3) * 0.1), height * 0.09);

        using var xyz = Image.Xyz(width, height);
        using var x = xyz[0];
        using var y = xyz[1];
        using var t = y / (double)height;
        using var t3 = t.Bandjoin(t, t);
        using var sky = t3 * new[] { bottom[0] - top[0], bottom[1] - top[1], bottom[2] - top[2] } + top;
        using var dx = x - sunX;
        using var dy = y - sunY;
        using var distance = (dx * dx + dy * dy).Pow(0.5);
        using var inSun = distance < radius;
        using var withSun = inSun.Ifthenelse(sun, sky);
        using var below = y > horizon;
        using var scene = below.Ifthenelse(ground, withSun);
        using var rgb = scene.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return rgb.JpegsaveBuffer(q: 88);
    }

    /// <summary>A JPEG full of noise, so that it has plenty of entropy-coded data to cut short.</summary>
    public static byte[] NoisyJpeg(int width = 800, int height = 600)
    {
        using var noise = Image.Gaussnoise(width, height, mean: 128, sigma: 40);
        using var rgb = noise.Bandjoin(noise, noise).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return rgb.JpegsaveBuffer(q: 95);
    }

    public static byte[] PngWithAlpha(int width = 300, int height = 200)
    {
        // Opaque red on the left half, fully transparent on the right.
        using var rgb = Solid(width, height, [255, 0, 0]);
        using var black = Image.Black(width, height);
        using var alpha = (black + 255).Cast(Enums.BandFormat.Uchar);
        using var mask = alpha.ExtractArea(0, 0, width / 2, height).Embed(0, 0, width, height);
        using var rgba = rgb.Bandjoin(mask).Copy(interpretation: Enums.Interpretation.Srgb);
        return rgba.PngsaveBuffer();
    }

    public static byte[] Png(int width = 300, int height = 200) => Solid(width, height, [20, 160, 220]).PngsaveBuffer();

    public static byte[] WebP(int width = 300, int height = 200) => Solid(width, height, [30, 200, 90]).WebpsaveBuffer(q: 90);

    public static byte[] Gif(int width = 120, int height = 80) => Solid(width, height, [0, 0, 255]).GifsaveBuffer();

    public static byte[] Avif(int width = 96, int height = 64) =>
        Solid(width, height, [250, 250, 0]).HeifsaveBuffer(compression: Enums.ForeignHeifCompression.Av1, q: 60, effort: 0);

    /// <summary>Pure sRGB red converted into Display P3 and tagged with that profile: (230, 49, 35) in P3 numbers.</summary>
    public static byte[] DisplayP3RedJpeg(int width = 64, int height = 64)
    {
        using var red = Solid(width, height, [255, 0, 0]);
        using var p3 = red.IccExport(outputProfile: "p3");
        return p3.JpegsaveBuffer(q: 95);
    }

    /// <summary>Red as a four-channel CMYK JPEG, as print workflows export it.</summary>
    public static byte[] CmykRedJpeg(int width = 64, int height = 64)
    {
        using var red = Solid(width, height, [255, 0, 0]);
        using var cmyk = red.IccExport(outputProfile: "cmyk");
        return cmyk.JpegsaveBuffer(q: 95);
    }

    public static byte[] Grey16Png(int width = 64, int height = 48)
    {
        using var grey = Image.Black(width, height);
        using var lifted = grey + 30000;
        using var cast = lifted.Cast(Enums.BandFormat.Ushort);
        return cast.Copy(interpretation: Enums.Interpretation.Grey16).PngsaveBuffer();
    }

    /// <summary>An animated GIF of <paramref name="frames"/> frames: the first one green, the rest magenta.</summary>
    public static byte[] AnimatedGif(int frames, int width = 40, int height = 30)
    {
        using var first = Solid(width, height, [0, 255, 0]);
        using var rest = Solid(width, height * (frames - 1), [255, 0, 255]);
        using var strip = first.Join(rest, Enums.Direction.Vertical);
        using var animated = strip.Mutate(m => m.Set(GValue.GIntType, "page-height", height));
        return animated.GifsaveBuffer();
    }

    /// <summary>A real JPEG with an HTML page appended after its end marker: a polyglot some browsers would sniff as HTML.</summary>
    public static byte[] JpegHtmlPolyglot() =>
        [.. Jpeg(64, 64), .. "<html><body><script>alert('polyglot')</script></body></html>"u8];

    /// <summary>
    /// A 200 × 100 JPEG whose left half is red and right half blue, with EXIF saying "rotate 90° clockwise"
    /// (orientation 6), GPS coordinates, and an XMP packet that names a place. Displayed correctly it is
    /// 100 × 200 with red on top.
    /// </summary>
    public static byte[] JpegWithOrientationAndGps()
    {
        using var red = Solid(100, 100, [255, 0, 0]);
        using var blue = Solid(100, 100, [0, 0, 255]);
        using var both = red.Join(blue, Enums.Direction.Horizontal);
        var jpeg = both.JpegsaveBuffer(q: 95, keep: Enums.ForeignKeep.None);
        return InsertAfterSoi(jpeg, ExifSegment(orientation: 6), XmpSegment());
    }

    public const string XmpPlace = "Secret Beach Hideaway";

    /// <summary>A <see cref="Landscape"/> picture stored as <paramref name="width"/> × <paramref name="height"/> with EXIF
    /// orientation <paramref name="orientation"/> (1–8), so that displayed correctly it is turned or mirrored.</summary>
    public static byte[] LandscapeWithOrientation(ushort orientation, int width = 600, int height = 400) =>
        InsertAfterSoi(Landscape(orientation, width, height), ExifSegment(orientation));

    public static byte[] Truncated(byte[] image, double keep = 0.6) => image[..(int)(image.Length * keep)];

    /// <summary>A valid PNG header claiming the given size, followed by a few bytes of pixel data.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        WriteChunk(file, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                zlib.Write(new byte[4096]);
            }

            WriteChunk(file, "IDAT", compressed.ToArray());
        }

        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>A real, small PNG of a huge canvas: it compresses to little but decodes to width × height pixels.</summary>
    public static byte[] PixelFloodPng(int width, int height) =>
        Image.Black(width, height).Cast(Enums.BandFormat.Uchar).PngsaveBuffer(compression: 9);

    public static byte[] Svg() => Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><script>alert(1)</script><rect width=\"100\" height=\"100\" fill=\"red\"/></svg>");

    public static byte[] Text() => Encoding.UTF8.GetBytes("This is not an image, whatever its name says.\n");

    /// <summary>An ISO-BMFF file branded HEIC whose payload is not a real HEVC stream.</summary>
    public static byte[] FakeHeic()
    {
        var bytes = new byte[512];
        byte[] ftyp = [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8];
        ftyp.CopyTo(bytes, 0);
        new Random(7).NextBytes(bytes.AsSpan(ftyp.Length));
        return bytes;
    }

    private static Image Solid(int width, int height, double[] colour)
    {
        using var black = Image.Black(width, height, bands: 3);
        using var filled = black + colour;
        return filled.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    private static void WriteChunk(Stream file, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        file.Write(number);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        file.Write(number);
    }

    /// <summary>The CRC-32 that PNG chunks (and zlib's gzip) carry.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static byte[] InsertAfterSoi(byte[] jpeg, params byte[][] segments) =>
        [.. jpeg[..2], .. segments.SelectMany(s => s), .. jpeg[2..]];

    // A little-endian TIFF structure: IFD0 with Orientation and a GPS IFD pointer; the GPS IFD with 51°30'N 0°7'W.
    private static byte[] ExifSegment(ushort orientation)
    {
        var tiff = new byte[140];
        "II"u8.CopyTo(tiff);
        var span = tiff.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], 42);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 8);
        var at = 8;
        void Entry(ushort tag, ushort type, uint count, uint value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at + 2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 4), count);
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 8), value);
            at += 12;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], 2);
        at += 2;
        Entry(0x0112, 3, 1, orientation);
        Entry(0x8825, 4, 1, 38);
        at += 4; // no next IFD
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], 4);
        at += 2;
        Entry(0x0001, 2, 2, 'N');
        Entry(0x0002, 5, 3, 92);
        Entry(0x0003, 2, 2, 'W');
        Entry(0x0004, 5, 3, 116);
        uint[] rationals = [51, 1, 30, 1, 0, 1, 0, 1, 7, 1, 0, 1];
        for (var i = 0; i < rationals.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[(92 + (i * 4))..], rationals[i]);
        }

        return Segment(0xE1, [.. "Exif\0\0"u8, .. tiff]);
    }

    private static byte[] XmpSegment()
    {
        var xmp = $"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\" photoshop:City=\"{XmpPlace}\"/></rdf:RDF></x:xmpmeta>";
        return Segment(0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. Encoding.UTF8.GetBytes(xmp)]);
    }

    private static byte[] Segment(byte marker, byte[] payload)
    {
        var length = (ushort)(payload.Length + 2);
        return [0xFF, marker, (byte)(length >> 8), (byte)length, .. payload];
    }
}
