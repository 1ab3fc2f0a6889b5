namespace ImageService.Core.Images;

/// <summary>Signed download links, bound from the <c>Downloads</c> configuration section.</summary>
public sealed class DownloadOptions
{
    public const string Section = "Downloads";

    /// <summary>S3 refuses presigned URLs that live longer than seven days, so no backend may issue one.</summary>
    public const int MaxExpirySeconds = 7 * 24 * 3600;

    /// <summary>Link expiries fall on multiples of this many seconds, so that the same image keeps the same URL for a
    /// while and browsers can cache it.</summary>
    public const long ExpiryStepSeconds = 300;

    /// <summary>How long a signed link stays valid, at least (default one hour).</summary>
    public int UrlExpirySeconds { get; set; } = 3600;

    public IEnumerable<string> Validate()
    {
        if (UrlExpirySeconds is < 60 or > MaxExpirySeconds)
        {
            yield return $"Downloads:UrlExpirySeconds must be between 60 and {MaxExpirySeconds} (seven days).";
        }
    }

    /// <summary>
    /// The expiry of links issued now. It is rounded up to the next five minutes so that the same image
    /// gets the same URL for a while and browsers can cache it, never beyond the seven-day ceiling.
    /// </summary>
    public DateTimeOffset ExpiryFrom(DateTimeOffset now)
    {
        const long Step = ExpiryStepSeconds;
        // From the next whole second: dropping the fraction would cut the lifetime short whenever it lands on a mark.
        var earliest = (now.ToUnixTimeMilliseconds() + 999) / 1000 + UrlExpirySeconds;
        var rounded = (earliest + Step - 1) / Step * Step;
        var ceiling = now.ToUnixTimeSeconds() + MaxExpirySeconds;
        return DateTimeOffset.FromUnixTimeSeconds(Math.Min(rounded, ceiling));
    }
}
