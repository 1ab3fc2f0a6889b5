namespace ImageService.Core.Images;

/// <summary>Idempotency-Key settings, bound from <c>Idempotency</c>.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long a key is remembered (default one day).</summary>
    public int KeyLifetimeSeconds { get; set; } = 86_400;

    /// <summary>
    /// How long a claim blocks retries without its request renewing it (default 10 s). The live request renews it every
    /// third of this, so a claim whose request crashed, or whose release failed in a store outage, frees its key within
    /// this long. It replaces <c>AbandonedAfterSeconds</c>, which is no longer read.
    /// </summary>
    public int LeaseSeconds { get; set; } = 10;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public IEnumerable<string> Validate()
    {
        if (KeyLifetimeSeconds is < 60 or > 30 * 86_400)
        {
            yield return "Idempotency:KeyLifetimeSeconds must be between 60 and 2592000 (30 days).";
        }

        if (LeaseSeconds is < 3 or > 3_600 || LeaseSeconds > KeyLifetimeSeconds)
        {
            yield return "Idempotency:LeaseSeconds must be between 3 and 3600, and at most Idempotency:KeyLifetimeSeconds.";
        }
    }
}
