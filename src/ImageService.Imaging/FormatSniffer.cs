using System.Text;

namespace ImageService.Imaging;

/// <summary>Decides an upload's format from its magic bytes; the file name and the client's Content-Type are never consulted.</summary>
public static class FormatSniffer
{
    private const int HeadLength = 64;

    public static ImageFormat Detect(string path)
    {
        Span<byte> head = stackalloc byte[HeadLength];
        using var file = File.OpenRead(path);
        var read = file.ReadAtLeast(head, HeadLength, throwOnEndOfStream: false);
        return Detect(head[..read]);
    }

    public static ImageFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((byte[])[0xFF, 0xD8, 0xFF]))
        {
            return ImageFormat.Jpeg;
        }

        if (head.StartsWith((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageFormat.Png;
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return ImageFormat.Gif;
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageFormat.WebP;
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            return DetectIsoMedia(head);
        }

        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8))
        {
            return ImageFormat.Tiff;
        }

        if (head.StartsWith("BM"u8))
        {
            return ImageFormat.Bmp;
        }

        if (head.StartsWith("%PDF"u8))
        {
            return ImageFormat.Pdf;
        }

        if (head.StartsWith((byte[])[0xFF, 0x0A]) || head.StartsWith((byte[])[0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']))
        {
            return ImageFormat.Jxl;
        }

        var text = Encoding.ASCII.GetString(head).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return text.StartsWith("<svg", StringComparison.OrdinalIgnoreCase)
               || (text.StartsWith("<?xml", StringComparison.OrdinalIgnoreCase) && text.Contains("<svg", StringComparison.OrdinalIgnoreCase))
            ? ImageFormat.Svg
            : ImageFormat.Unknown;
    }

    // HEIF-family files share one container; the brands in the ftyp box tell AV1 (AVIF) from HEVC (HEIC).
    private static ImageFormat DetectIsoMedia(ReadOnlySpan<byte> head)
    {
        var boxSize = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
        var end = Math.Min(head.Length, Math.Max(boxSize, 16));
        var brands = new List<string> { Encoding.ASCII.GetString(head[8..12]) };
        for (var offset = 16; offset + 4 <= end; offset += 4)
        {
            brands.Add(Encoding.ASCII.GetString(head[offset..(offset + 4)]));
        }

        if (brands.Any(b => b is "avif" or "avis"))
        {
            return ImageFormat.Avif;
        }

        return brands.Any(b => b is "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "hevm" or "hevs" or "mif1" or "msf1")
            ? ImageFormat.Heic
            : ImageFormat.Unknown;
    }
}
