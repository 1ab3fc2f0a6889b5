using ImageService.Core;
using ImageService.Core.Ports;

namespace ImageService.Api.Tests.Idempotency;

/// <summary>How many of the next calls of each idempotency-store operation fail, as a store outage would.</summary>
public sealed class IdempotencyFaults
{
    public int FailComplete { get; set; }

    public int FailRelease { get; set; }

    public int FailRenew { get; set; }

    public static void Step(ref int remaining)
    {
        if (Interlocked.Decrement(ref remaining) >= 0)
        {
            throw new StoreUnavailableException("injected idempotency store outage");
        }
    }
}

/// <summary>The real idempotency store of either backend, failing where <see cref="IdempotencyFaults"/> says.</summary>
internal sealed class FaultyIdempotencyStore(IIdempotencyStore inner, IdempotencyFaults faults) : IIdempotencyStore
{
    private int failComplete = faults.FailComplete;
    private int failRelease = faults.FailRelease;
    private int failRenew = faults.FailRenew;

    public Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken) =>
        inner.TryClaimAsync(key, fingerprint, owner, now, leaseUntil, expiresAt, cancellationToken);

    public Task<bool> RenewAsync(string key, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        IdempotencyFaults.Step(ref failRenew);
        return inner.RenewAsync(key, owner, leaseUntil, cancellationToken);
    }

    public Task<bool> RecordImageAsync(string key, string owner, Guid imageId, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        inner.RecordImageAsync(key, owner, imageId, leaseUntil, cancellationToken);

    public Task<bool> CompleteAsync(string key, string owner, Guid imageId, CancellationToken cancellationToken)
    {
        IdempotencyFaults.Step(ref failComplete);
        return inner.CompleteAsync(key, owner, imageId, cancellationToken);
    }

    public Task<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        IdempotencyFaults.Step(ref failRelease);
        return inner.ReleaseAsync(key, owner, cancellationToken);
    }
}
