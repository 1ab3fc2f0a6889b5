namespace ImageService.Processing;

/// <summary>Where upload bodies are staged while they are received and processed, bound from <c>Uploads</c>.</summary>
public sealed class UploadStagingOptions
{
    public const string Section = "Uploads";

    /// <summary>Staging folder for upload bodies and the variants encoded from them. Empty (the default): a new folder
    /// per process, <c>image-service-uploads-*</c> in the system temp folder, readable by this user only. Each file is
    /// deleted when its request ends, whatever the outcome.</summary>
    public string? TempFolder { get; set; }

    /// <summary>A staged file older than this is left over from a process that died mid-request, and the sweep
    /// removes it. Longer than any upload may take to arrive and be processed.</summary>
    public int StaleAfterSeconds { get; set; } = 3600;

    public IEnumerable<string> Validate()
    {
        if (TempFolder is not null && TempFolder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            yield return "Uploads:TempFolder is not a valid path.";
        }

        // Below a minute, a clean-up could take the body of an upload that is still arriving.
        if (StaleAfterSeconds is < 60 or > 604_800)
        {
            yield return "Uploads:StaleAfterSeconds must be between 60 and 604800 (a week); the default is 3600.";
        }
    }
}
