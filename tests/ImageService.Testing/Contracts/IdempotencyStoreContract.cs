using ImageService.Core.Ports;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>What every <see cref="IIdempotencyStore"/> must do. Each backend's tests derive from this class once.</summary>
public abstract class IdempotencyStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private IIdempotencyStore? store;

    protected IIdempotencyStore Store => store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    protected abstract Task<IIdempotencyStore> CreateStoreAsync();

    public async Task InitializeAsync() => store = await CreateStoreAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_key_is_claimed_once_then_reports_progress_completion_or_a_different_body()
    {
        var key = NewKey();

        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(key, "body-a", Now)).Outcome);
        Assert.Equal(IdempotencyOutcome.InProgress, (await ClaimAsync(key, "body-a", Now.AddSeconds(1))).Outcome);
        Assert.Equal(IdempotencyOutcome.Mismatch, (await ClaimAsync(key, "body-b", Now.AddSeconds(1))).Outcome);

        var imageId = Guid.NewGuid();
        await Store.CompleteAsync(key, imageId, default);

        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Completed, imageId), await ClaimAsync(key, "body-a", Now.AddSeconds(2)));
        Assert.Equal(IdempotencyOutcome.Mismatch, (await ClaimAsync(key, "body-b", Now.AddSeconds(2))).Outcome);
    }

    [Fact]
    public async Task An_expired_key_is_free_again()
    {
        var key = NewKey();
        await ClaimAsync(key, "body-a", Now);
        await Store.CompleteAsync(key, Guid.NewGuid(), default);

        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(key, "body-b", Now.AddHours(2))).Outcome);
    }

    [Fact]
    public async Task A_released_or_abandoned_claim_can_be_taken_by_a_retry()
    {
        var released = NewKey();
        await ClaimAsync(released, "body", Now);
        await Store.ReleaseAsync(released, default);
        var abandoned = NewKey();
        await ClaimAsync(abandoned, "body", Now);

        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(released, "body", Now.AddSeconds(1))).Outcome);
        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(abandoned, "body", Now.AddMinutes(10))).Outcome);
    }

    [Fact]
    public async Task Of_concurrent_claims_of_one_key_exactly_one_wins()
    {
        var key = NewKey();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => ClaimAsync(key, "body", Now))));

        Assert.Single(outcomes, claim => claim.Outcome == IdempotencyOutcome.Claimed);
        Assert.All(outcomes.Where(c => c.Outcome != IdempotencyOutcome.Claimed), c => Assert.Equal(IdempotencyOutcome.InProgress, c.Outcome));
    }

    // Keys live an hour; a started claim older than five minutes counts as abandoned.
    private Task<IdempotencyClaim> ClaimAsync(string key, string fingerprint, DateTimeOffset now) =>
        Store.TryClaimAsync(key, fingerprint, now, now.AddHours(1), now.AddMinutes(-5), default);

    private static string NewKey() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
}
