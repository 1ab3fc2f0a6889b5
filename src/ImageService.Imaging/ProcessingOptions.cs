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
    }
}
