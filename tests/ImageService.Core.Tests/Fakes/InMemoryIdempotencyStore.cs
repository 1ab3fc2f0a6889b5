using ImageService.Core.Ports;

namespace ImageService.Core.Tests.Fakes;

/// <summary>
/// Idempotency claims in a dictionary, with the contract of the real stores: every change one conditional step on one
/// claim, conditional on its owner token, read back when its condition fails. Fault points: <c>idem.claim</c>,
/// <c>idem.claim.read-back</c> (between a claim that found the key taken and its read-back), <c>idem.renew</c>,
/// <c>idem.record</c>, <c>idem.complete</c> and <c>idem.release</c>.
/// </summary>
public sealed class InMemoryIdempotencyStore(Faults faults) : IIdempotencyStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Claim> claims = [];

    public async Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var won = await faults.RunAsync("idem.claim", () =>
            {
                lock (gate)
                {
                    var existing = claims.GetValueOrDefault(key);
                    // As the real stores: an expired key is free unless it is still started by a live request (or,
                    // for the same body, left to the takeover, which keeps its image id).
                    var free = existing is null
                        || (existing.ExpiresAt <= now && !(existing.State == "started" && (existing.LeaseUntil > now || existing.Fingerprint == fingerprint)));
                    var takeover = !free && existing is { State: "started", Fingerprint: var f } && f == fingerprint && existing.LeaseUntil <= now;
                    if (!free && !takeover)
                    {
                        return Task.FromResult<Claim?>(null);
                    }

                    var claim = claims[key] = new Claim(fingerprint, "started", takeover ? existing!.ImageId : null, owner, leaseUntil, expiresAt);
                    return Task.FromResult<Claim?>(claim);
                }
            });
            if (won is not null)
            {
                return new IdempotencyClaim(IdempotencyOutcome.Claimed, won.ImageId);
            }

            if (await faults.RunAsync("idem.claim.read-back", () => Task.FromResult(Read(key))) is { } stored)
            {
                return IdempotencyClaim.ReadBack(owner, fingerprint, stored.Owner, stored.Fingerprint, stored.State == "started", stored.ImageId);
            }
        }

        return new IdempotencyClaim(IdempotencyOutcome.InProgress);
    }

    public Task<bool> RenewAsync(string key, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ChangeAsync("idem.renew", key, owner, claim => claim with { LeaseUntil = leaseUntil }, claim => claim?.LeaseUntil == leaseUntil);

    public Task<bool> RecordImageAsync(string key, string owner, Guid imageId, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ChangeAsync("idem.record", key, owner, claim => claim with { ImageId = imageId, LeaseUntil = leaseUntil },
            claim => claim is { State: "started" } && claim.ImageId == imageId);

    public Task<bool> CompleteAsync(string key, string owner, Guid imageId, CancellationToken cancellationToken) =>
        ChangeAsync("idem.complete", key, owner, claim => claim with { State = "completed", ImageId = imageId },
            claim => claim is { State: "completed" } && claim.ImageId == imageId);

    public Task<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        ChangeAsync("idem.release", key, owner, _ => null, claim => claim is null, nobodysCounts: true);

    private Task<bool> ChangeAsync(
        string operation, string key, string owner, Func<Claim, Claim?> change, Func<Claim?, bool> landed, bool nobodysCounts = false) =>
        faults.RunAsync(operation, () =>
        {
            lock (gate)
            {
                var claim = claims.GetValueOrDefault(key);
                if (claim is { State: "started" } && claim.Owner == owner)
                {
                    if (change(claim) is { } changed)
                    {
                        claims[key] = changed;
                    }
                    else
                    {
                        claims.Remove(key);
                    }

                    return Task.FromResult(true);
                }

                return Task.FromResult((claim is null ? nobodysCounts : claim.Owner == owner) && landed(claim));
            }
        });

    private Claim? Read(string key)
    {
        lock (gate)
        {
            return claims.GetValueOrDefault(key);
        }
    }

    private sealed record Claim(string Fingerprint, string State, Guid? ImageId, string Owner, DateTimeOffset LeaseUntil, DateTimeOffset ExpiresAt);
}
