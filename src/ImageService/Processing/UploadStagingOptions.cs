namespace ImageService.Processing;

/// <summary>Where upload bodies are staged while they are received and processed, bound from <c>Uploads</c>.</summary>
public sealed class UploadStagingOptions
{
    public const string Section = "Uploads";

    /// <summary>Staging folder (default: <c>image-service-uploads</c> in the system temp folder) for upload bodies and the
    /// variants encoded from them. Each file is deleted when its request ends, whatever the outcome.</summary>
    public string? TempFolder { get; set; }

    public string ResolvedTempFolder => string.IsNullOrWhiteSpace(TempFolder)
        ? Path.Combine(Path.GetTempPath(), "image-service-uploads")
        : Path.GetFullPath(TempFolder);

    public IEnumerable<string> Validate()
    {
        if (TempFolder is not null && TempFolder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            yield return "Uploads:TempFolder is not a valid path.";
        }
    }
}
