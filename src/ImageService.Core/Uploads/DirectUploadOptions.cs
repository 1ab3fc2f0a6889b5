namespace ImageService.Core.Uploads;

/// <summary>Direct uploads (<c>POST /uploads</c>), bound from the <c>DirectUploads</c> configuration section.</summary>
public sealed class DirectUploadOptions
{
    public const string Section = "DirectUploads";

    /// <summary>Largest file a direct upload may declare (default 50 MiB), apart from <c>Limits:MaxUploadBytes</c>: on
    /// Lambda a request body cannot exceed about 6 MB, but a direct upload never passes through the function.</summary>
    public long MaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>How long the upload form accepts the file (default 15 minutes).</summary>
    public int UrlExpirySeconds { get; set; } = 900;

    /// <summary>How long after the form's expiry <c>complete</c> is still accepted (default one hour): a slow network
    /// may finish sending a file that was started in time.</summary>
    public int CompleteGraceSeconds { get; set; } = 3600;

    /// <param name="idempotencyKeyLifetimeSeconds"><c>Idempotency:KeyLifetimeSeconds</c>: an upload may be completed
    /// only while its idempotency key is remembered, or a retry after a lost answer could make a second image.</param>
    public IEnumerable<string> Validate(long idempotencyKeyLifetimeSeconds)
    {
        if (MaxBytes is < 1024 or > 5L * 1024 * 1024 * 1024)
        {
            // S3 takes at most 5 GiB in one POST.
            yield return "DirectUploads:MaxBytes must be between 1024 and 5368709120 bytes (S3's limit for one POST).";
        }

        if (UrlExpirySeconds is < 60 or > 7 * 24 * 3600)
        {
            yield return "DirectUploads:UrlExpirySeconds must be between 60 and 604800 (seven days).";
        }

        if (CompleteGraceSeconds is < 0 or > 7 * 24 * 3600)
        {
            yield return "DirectUploads:CompleteGraceSeconds must be between 0 and 604800 (seven days).";
        }
        else if ((long)UrlExpirySeconds + CompleteGraceSeconds > idempotencyKeyLifetimeSeconds)
        {
            yield return $"DirectUploads:UrlExpirySeconds plus DirectUploads:CompleteGraceSeconds ({(long)UrlExpirySeconds + CompleteGraceSeconds} s) must not exceed Idempotency:KeyLifetimeSeconds ({idempotencyKeyLifetimeSeconds} s): a complete relies on the upload's idempotency key until the upload's time is over.";
        }
    }
}
