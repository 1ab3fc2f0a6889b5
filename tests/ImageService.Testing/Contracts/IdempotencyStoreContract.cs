using ImageService.Core.Ports;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>What every <see cref="IIdempotencyStore"/> must do. Each backend's tests derive from this class once.</summary>
public abstract class IdempotencyStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private IIdempotencyStore? store;

    protected IIdempotencyStore Store => store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    protected abstract Task<IIdempotencyStore> CreateStoreAsync();

    public async Task InitializeAsync() => store = await CreateStoreAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_key_is_claimed_once_then_reports_progress_completion_or_a_different_body()
    {
        var key = NewKey();

        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Claimed), await ClaimAsync(key, "body-a", "a", Now));
        Assert.Equal(IdempotencyOutcome.InProgress, (await ClaimAsync(key, "body-a", "b", Now.AddSeconds(1))).Outcome);
        Assert.Equal(IdempotencyOutcome.Mismatch, (await ClaimAsync(key, "body-b", "b", Now.AddSeconds(1))).Outcome);

        var imageId = Guid.NewGuid();
        Assert.True(await Store.CompleteAsync(key, "a", imageId, default));

        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Completed, imageId), await ClaimAsync(key, "body-a", "c", Now.AddMinutes(30)));
        Assert.Equal(IdempotencyOutcome.Mismatch, (await ClaimAsync(key, "body-b", "c", Now.AddMinutes(30))).Outcome);
    }

    [Fact]
    public async Task An_expired_key_is_free_again_and_forgets_its_image()
    {
        var key = NewKey();
        await ClaimAsync(key, "body-a", "a", Now);
        await Store.CompleteAsync(key, "a", Guid.NewGuid(), default);

        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Claimed), await ClaimAsync(key, "body-b", "b", Now.AddHours(2)));
    }

    [Fact]
    public async Task A_released_claim_or_one_whose_lease_ran_out_can_be_taken_by_a_retry()
    {
        var released = NewKey();
        await ClaimAsync(released, "body", "a", Now);
        Assert.True(await Store.ReleaseAsync(released, "a", default));
        var abandoned = NewKey();
        await ClaimAsync(abandoned, "body", "a", Now);

        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(released, "body", "b", Now.AddSeconds(1))).Outcome);
        Assert.Equal(IdempotencyOutcome.InProgress, (await ClaimAsync(abandoned, "body", "b", Now + Lease - TimeSpan.FromSeconds(1))).Outcome);
        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(abandoned, "body", "b", Now + Lease)).Outcome);
        Assert.Equal(IdempotencyOutcome.Mismatch, (await ClaimAsync(abandoned, "other", "c", Now + Lease * 3)).Outcome);
    }

    [Fact]
    public async Task A_live_request_keeps_its_key_past_the_key_lifetime_and_a_later_takeover_keeps_its_image()
    {
        // Found in review: a request still renewing its lease after its key expired must not see a retry start
        // afresh, or both would make an image.
        var key = NewKey();
        var image = Guid.NewGuid();
        await Store.TryClaimAsync(key, "body", "a", Now, Now + Lease, Now.AddSeconds(30), default);
        Assert.True(await Store.RecordImageAsync(key, "a", image, Now.AddMinutes(2), default));

        var whileLive = await Store.TryClaimAsync(key, "body", "b", Now.AddMinutes(1), Now.AddMinutes(1) + Lease, Now.AddHours(1), default);
        var otherBody = await Store.TryClaimAsync(key, "other", "c", Now.AddMinutes(1), Now.AddMinutes(1) + Lease, Now.AddHours(1), default);
        var afterLease = await Store.TryClaimAsync(key, "body", "d", Now.AddMinutes(3), Now.AddMinutes(3) + Lease, Now.AddHours(1), default);

        Assert.Equal(IdempotencyOutcome.InProgress, whileLive.Outcome);
        Assert.NotEqual(IdempotencyOutcome.Claimed, otherBody.Outcome);
        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Claimed, image), afterLease);
    }

    [Fact]
    public async Task A_renewed_lease_keeps_the_claim_until_the_renewal_runs_out()
    {
        var key = NewKey();
        await ClaimAsync(key, "body", "a", Now);

        Assert.True(await Store.RenewAsync(key, "a", Now + Lease * 2, default));

        Assert.Equal(IdempotencyOutcome.InProgress, (await ClaimAsync(key, "body", "b", Now + Lease * 1.5)).Outcome);
        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(key, "body", "b", Now + Lease * 2)).Outcome);
    }

    [Fact]
    public async Task After_a_takeover_the_first_owner_can_neither_renew_record_complete_nor_release()
    {
        var key = NewKey();
        await ClaimAsync(key, "body", "first", Now);
        var recorded = Guid.NewGuid();
        Assert.True(await Store.RecordImageAsync(key, "first", recorded, Now + Lease, default));

        var takeover = await ClaimAsync(key, "body", "second", Now + Lease);

        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Claimed, recorded), takeover);
        Assert.False(await Store.RenewAsync(key, "first", Now + Lease * 3, default));
        Assert.False(await Store.RecordImageAsync(key, "first", Guid.NewGuid(), Now + Lease * 3, default));
        Assert.False(await Store.CompleteAsync(key, "first", Guid.NewGuid(), default));
        Assert.False(await Store.ReleaseAsync(key, "first", default));
        Assert.Equal(IdempotencyOutcome.InProgress, (await ClaimAsync(key, "body", "third", Now + Lease * 1.5)).Outcome);

        var image = Guid.NewGuid();
        Assert.True(await Store.CompleteAsync(key, "second", image, default));
        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Completed, image), await ClaimAsync(key, "body", "third", Now + Lease * 4));
    }

    [Fact]
    public async Task A_change_repeated_after_it_landed_reports_success()
    {
        // What an SDK does when a write's answer is lost: it sends the write again, and that retry fails its condition.
        var key = NewKey();
        var image = Guid.NewGuid();

        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(key, "body", "a", Now)).Outcome);
        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(key, "body", "a", Now)).Outcome);
        Assert.True(await Store.RenewAsync(key, "a", Now + Lease * 2, default));
        Assert.True(await Store.RenewAsync(key, "a", Now + Lease * 2, default));
        Assert.True(await Store.RecordImageAsync(key, "a", image, Now + Lease * 3, default));
        Assert.True(await Store.RecordImageAsync(key, "a", image, Now + Lease * 3, default));
        Assert.True(await Store.CompleteAsync(key, "a", image, default));
        Assert.True(await Store.CompleteAsync(key, "a", image, default));
        Assert.False(await Store.CompleteAsync(key, "a", Guid.NewGuid(), default));
        Assert.False(await Store.ReleaseAsync(key, "a", default));

        var other = NewKey();
        await ClaimAsync(other, "body", "a", Now);
        Assert.True(await Store.ReleaseAsync(other, "a", default));
        Assert.True(await Store.ReleaseAsync(other, "a", default));
    }

    [Fact]
    public async Task Of_concurrent_claims_of_one_key_exactly_one_wins()
    {
        var key = NewKey();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => ClaimAsync(key, "body", $"owner-{i}", Now))));

        Assert.Single(outcomes, claim => claim.Outcome == IdempotencyOutcome.Claimed);
        Assert.All(outcomes.Where(c => c.Outcome != IdempotencyOutcome.Claimed), c => Assert.Equal(IdempotencyOutcome.InProgress, c.Outcome));
    }

    [Fact]
    public async Task A_release_racing_a_claim_answers_claimed_or_in_progress()
    {
        for (var round = 0; round < 50; round++)
        {
            var key = NewKey();
            await ClaimAsync(key, "body", "first", Now);

            var claims = Enumerable.Range(0, 3).Select(i => Task.Run(() => ClaimAsync(key, "body", $"retry-{i}", Now.AddSeconds(1)))).ToList();
            await Task.Run(() => Store.ReleaseAsync(key, "first", default));

            Assert.All(await Task.WhenAll(claims), claim => Assert.Contains(claim.Outcome, new[] { IdempotencyOutcome.Claimed, IdempotencyOutcome.InProgress }));
        }
    }

    // Keys live an hour; a claim's lease lasts ten seconds unless renewed.
    private Task<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, DateTimeOffset now) =>
        Store.TryClaimAsync(key, fingerprint, owner, now, now + Lease, now.AddHours(1), default);

    private static string NewKey() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
}
