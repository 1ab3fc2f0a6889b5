namespace ImageService.Core.Images;

/// <summary>Idempotency-Key settings, bound from <c>Idempotency</c>.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long a key is remembered (default one day).</summary>
    public int KeyLifetimeSeconds { get; set; } = 86_400;

    /// <summary>After how long an unfinished claim (its request crashed) may be taken over by a retry.</summary>
    public int AbandonedAfterSeconds { get; set; } = 300;

    public IEnumerable<string> Validate()
    {
        if (KeyLifetimeSeconds is < 60 or > 30 * 86_400)
        {
            yield return "Idempotency:KeyLifetimeSeconds must be between 60 and 2592000 (30 days).";
        }

        if (AbandonedAfterSeconds < 10 || AbandonedAfterSeconds > KeyLifetimeSeconds)
        {
            yield return "Idempotency:AbandonedAfterSeconds must be at least 10 and at most Idempotency:KeyLifetimeSeconds.";
        }
    }
}
