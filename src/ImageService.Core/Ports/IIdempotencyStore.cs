namespace ImageService.Core.Ports;

/// <summary>
/// Remembers Idempotency-Key claims so that a retried upload creates nothing new. Each operation is a single
/// conditional write on one item. Implementations: SQLite (embedded), DynamoDB (with its TTL attribute).
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>Claims <paramref name="key"/> for a request whose body has <paramref name="fingerprint"/>, unless a live
    /// claim exists; a claim still "started" after <paramref name="abandonedBefore"/> counts as abandoned.</summary>
    Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, DateTimeOffset now, DateTimeOffset expiresAt, DateTimeOffset abandonedBefore, CancellationToken cancellationToken);

    /// <summary>Records that the claimed request created <paramref name="imageId"/>.</summary>
    Task CompleteAsync(string key, Guid imageId, CancellationToken cancellationToken);

    /// <summary>Gives up a started claim after a failure, so that a retry can run.</summary>
    Task ReleaseAsync(string key, CancellationToken cancellationToken);
}

public enum IdempotencyOutcome
{
    /// <summary>The key is now this request's: go ahead.</summary>
    Claimed,

    /// <summary>An earlier request with the same key and body is still running.</summary>
    InProgress,

    /// <summary>An earlier request with the same key and body finished; <see cref="IdempotencyClaim.ImageId"/> is what it made.</summary>
    Completed,

    /// <summary>The key was used for a different body.</summary>
    Mismatch,
}

public sealed record IdempotencyClaim(IdempotencyOutcome Outcome, Guid? ImageId = null);
