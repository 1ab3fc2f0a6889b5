using ImageService.Core;
using ImageService.Core.Listing;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>
/// A throttled table hands batch keys and items back as unprocessed, for as long as it likes. The index retries
/// them within a budget and then reports the store unavailable, instead of spinning; a caller that gives up
/// stops it at once. Each call also carries a safety token, so a loop that never ends fails the test instead
/// of hanging it.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbBatchRetryTests(AwsEmulators emulators)
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(20);
    private static readonly BatchRetryBudget Small = new(4, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40));

    [Fact]
    public async Task A_list_whose_reads_stay_unprocessed_fails_as_store_unavailable_after_the_budget()
    {
        var throttle = new DynamoDbBatchThrottle { Throttled = false };
        var (index, _) = await IndexAsync(throttle, Small);
        await index.TryAddAsync(ImageIndexContract.Record("alice", 1, "travel"), default);

        throttle.Throttled = true;
        var before = throttle.BatchRequests;
        using var safety = new CancellationTokenSource(Safety);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => index.ListAsync(new IndexQuery(null, null, 10), safety.Token));

        Assert.Equal(Small.MaxAttempts, throttle.BatchRequests - before);
    }

    [Fact]
    public async Task An_upload_whose_tag_writes_stay_unprocessed_fails_as_store_unavailable_and_is_not_listed()
    {
        var throttle = new DynamoDbBatchThrottle();
        var (index, _) = await IndexAsync(throttle, Small);

        using var safety = new CancellationTokenSource(Safety);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => index.TryAddAsync(ImageIndexContract.Record("alice", 1, "travel"), safety.Token));

        // The tag edges, then the bounded attempt to take the record back.
        Assert.Equal(2 * Small.MaxAttempts, throttle.BatchRequests);
        throttle.Throttled = false;
        Assert.Empty(await index.ListAsync(new IndexQuery(null, "travel", 10), default));
    }

    [Fact]
    public async Task A_cancelled_delete_stops_retrying_its_clean_up_at_once()
    {
        var throttle = new DynamoDbBatchThrottle { Throttled = false };
        // Generous enough to outlast the test: only the cancellation can end it.
        var (index, _) = await IndexAsync(throttle, new BatchRetryBudget(100_000, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(20)));
        var record = ImageIndexContract.Record("alice", 1, "travel", "food");
        await index.TryAddAsync(record, default);

        throttle.Throttled = true;
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var removal = index.RemoveAsync(record.ImageId, record.State, caller.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => removal.WaitAsync(Safety));
        var afterCancel = throttle.BatchRequests;
        await Task.Delay(300);
        Assert.Equal(afterCancel, throttle.BatchRequests);
        Assert.Null(await index.GetAsync(record.ImageId, default));
    }

    private async Task<(DynamoDbImageIndex Index, string Table)> IndexAsync(DynamoDbBatchThrottle throttle, BatchRetryBudget budget)
    {
        var table = await emulators.CreateTableAsync();
        return (new DynamoDbImageIndex(throttle.CreateClient(emulators.DynamoDbEndpoint), new AwsStorageOptions { Table = table }, budget), table);
    }
}
