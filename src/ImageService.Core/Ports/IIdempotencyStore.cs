namespace ImageService.Core.Ports;

/// <summary>
/// Remembers Idempotency-Key claims so that a retried upload creates nothing new. Each claim belongs to one request,
/// named by a random owner token, and every change after the claim is conditional on that token, so a request whose
/// claim was taken over can no longer touch it. Each operation is a single conditional write on one item (no
/// transactions); when its condition fails the store reads the item back and answers as if the write had succeeded
/// when the item already holds what this call writes, as after an SDK retried a write whose answer was lost.
/// Implementations: SQLite (embedded), DynamoDB (with its TTL attribute).
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>Claims <paramref name="key"/> for <paramref name="owner"/>, whose request has <paramref name="fingerprint"/>,
    /// with a lease until <paramref name="leaseUntil"/>. The key is free when there is no claim, when it expired
    /// (<paramref name="expiresAt"/> of the earlier claim passed), or when it is still started, its lease ran out and
    /// the fingerprint is the same: then the earlier request is presumed dead and this one takes over, and the answer
    /// carries the image id the earlier owner recorded, if any, which the new owner must settle first.</summary>
    Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken);

    /// <summary>Extends the owner's lease of its started claim; false when the claim is no longer the owner's.</summary>
    Task<bool> RenewAsync(string key, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Records, before the upload commits, which image the owner is about to make visible, and extends the lease;
    /// false when the claim is no longer the owner's (then it must not commit).</summary>
    Task<bool> RecordImageAsync(string key, string owner, Guid imageId, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Marks the owner's claim completed with <paramref name="imageId"/>; false when it is no longer the owner's.</summary>
    Task<bool> CompleteAsync(string key, string owner, Guid imageId, CancellationToken cancellationToken);

    /// <summary>Gives up the owner's started claim after a failure, so that a retry can run at once; true when no claim
    /// of the owner's is left, false when another request holds the key.</summary>
    Task<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken);
}

public enum IdempotencyOutcome
{
    /// <summary>The key is now this request's: go ahead (after settling <see cref="IdempotencyClaim.ImageId"/>, if set).</summary>
    Claimed,

    /// <summary>An earlier request with the same key and body is still running.</summary>
    InProgress,

    /// <summary>An earlier request with the same key and body finished; <see cref="IdempotencyClaim.ImageId"/> is what it made.</summary>
    Completed,

    /// <summary>The key was used for a different body.</summary>
    Mismatch,
}

/// <summary>The answer to a claim. <see cref="ImageId"/>: for <see cref="IdempotencyOutcome.Completed"/> the image made;
/// for <see cref="IdempotencyOutcome.Claimed"/> after a takeover, the image the abandoned request was about to commit.</summary>
public sealed record IdempotencyClaim(IdempotencyOutcome Outcome, Guid? ImageId = null)
{
    /// <summary>
    /// What a claim whose write did not win finds, read back from the key as stored: the caller's own claim (its
    /// write landed and the answer was lost), another body's, a request still running, or a finished one.
    /// </summary>
    public static IdempotencyClaim ReadBack(
        string owner, string fingerprint, string storedOwner, string storedFingerprint, bool storedStarted, Guid? storedImageId) =>
        storedOwner == owner ? new(IdempotencyOutcome.Claimed, storedImageId)
        : storedFingerprint != fingerprint ? new(IdempotencyOutcome.Mismatch)
        : storedStarted ? new(IdempotencyOutcome.InProgress)
        : new(IdempotencyOutcome.Completed, storedImageId);
}
