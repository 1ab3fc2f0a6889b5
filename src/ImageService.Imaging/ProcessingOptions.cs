namespace ImageService.Imaging;

/// <summary>libvips resource bounds, bound from the <c>Processing</c> configuration section.</summary>
public sealed class ProcessingOptions
{
    public const string Section = "Processing";

    /// <summary>Images processed at the same time; further uploads wait their turn, up to <c>Uploads:QueueTimeoutSeconds</c>
    /// (default: one per core).</summary>
    public int MaxConcurrentImages { get; set; } = Environment.ProcessorCount;

    /// <summary>Worker threads libvips may use for one image (default: one per core).</summary>
    public int VipsConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Bytes of decoded pixels the images being processed may hold as in-memory copies at once, all together
    /// (default: 96 MiB, a 33-megapixel RGB photograph, or two of 16). An image whose decoded size fits in what is left is
    /// decoded once and every rendition is made from that copy; a bigger one streams from the file, decoded twice.
    /// 0 streams every image.</summary>
    public long InMemoryDecodeBytes { get; set; } = 96L * 1024 * 1024;

    /// <summary>Whether ingest computes a ThumbHash placeholder and a dominant colour; off, records have neither (null).</summary>
    public bool Placeholders { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        if (MaxConcurrentImages is < 1 or > 256)
        {
            yield return "Processing:MaxConcurrentImages must be between 1 and 256.";
        }

        if (VipsConcurrency is < 1 or > 256)
        {
            yield return "Processing:VipsConcurrency must be between 1 and 256.";
        }

        if (InMemoryDecodeBytes is < 0 or > 64L * 1024 * 1024 * 1024)
        {
            yield return "Processing:InMemoryDecodeBytes must be between 0 (stream every image) and 68719476736 (64 GiB).";
        }
    }
}
