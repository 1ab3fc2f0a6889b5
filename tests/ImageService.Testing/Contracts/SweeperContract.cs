using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Core.Sweeping;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>
/// The sweeper on each backend's real stores, with a clock the test sets. Each backend derives from this class
/// once and says how it counts what the stores were asked: real HTTP requests on AWS, store calls (and every
/// key or record a listing yields) on the embedded stores.
/// </summary>
public abstract class SweeperContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualClock clock = new(Start.AddHours(1));
    private IImageIndex? index;
    private IBlobStore? blobs;

    protected IImageIndex Index => index ?? throw new InvalidOperationException("The stores are created in InitializeAsync.");

    protected IBlobStore Blobs => blobs ?? throw new InvalidOperationException("The stores are created in InitializeAsync.");

    /// <summary>New, empty stores for one test, counted by <see cref="Requests"/>.</summary>
    protected abstract Task<(IImageIndex Index, IBlobStore Blobs)> CreateStoresAsync();

    protected virtual Task DestroyStoresAsync() => Task.CompletedTask;

    /// <summary>What the stores were asked since <see cref="ResetRequests"/>, one entry per request.</summary>
    protected abstract IReadOnlyList<string> Requests { get; }

    protected abstract void ResetRequests();

    /// <summary>The requests that read a whole store (a bucket listing, a table scan), which no routine sweep may send.</summary>
    protected abstract IReadOnlySet<string> WholeStoreReads { get; }

    public async Task InitializeAsync() => (index, blobs) = await CreateStoresAsync();

    public Task DisposeAsync() => DestroyStoresAsync();

    [Fact]
    public async Task A_routine_sweep_costs_what_there_is_to_repair_not_the_size_of_the_catalogue()
    {
        await AddCommittedAsync(1_000);
        var atN = await RoutineSweepRequestsAsync();
        await AddCommittedAsync(1_000);
        var atTwoN = await RoutineSweepRequestsAsync();

        Assert.DoesNotContain(atN, WholeStoreReads.Contains);
        Assert.Equal(Histogram(atN), Histogram(atTwoN));
        Assert.InRange(atN.Count, 1, 100); // ten unsettled records: about ten requests each, plus finding them
    }

    [Fact]
    public async Task A_routine_sweep_clears_abandoned_uploads_and_unfinished_deletes_and_keeps_the_rest()
    {
        var committed = await AddAsync(ImageState.Committed, Start);
        var stalePending = await AddAsync(ImageState.Pending, Start);
        var freshPending = await AddAsync(ImageState.Pending, Now.AddMinutes(-1));
        var staleDeleting = await AddAsync(ImageState.Deleting, Start);

        var report = await Sweeper().SweepAsync(default);

        Assert.Equal(new SweepReport(AbandonedUploads: 1, FinishedDeletes: 1), report);
        Assert.Equal(ImageState.Committed, (await Index.GetAsync(committed.ImageId, default))!.State);
        Assert.Equal(2, await CountBlobsAsync(committed.ImageId));
        Assert.Equal(ImageState.Pending, (await Index.GetAsync(freshPending.ImageId, default))!.State);
        Assert.Equal(2, await CountBlobsAsync(freshPending.ImageId));
        foreach (var gone in new[] { stalePending.ImageId, staleDeleting.ImageId })
        {
            Assert.Null(await Index.GetAsync(gone, default));
            Assert.Equal(0, await CountBlobsAsync(gone));
        }
    }

    [Fact]
    public async Task An_upload_the_sweeper_took_over_can_no_longer_commit()
    {
        var slow = await AddAsync(ImageState.Pending, Start);

        await Sweeper().SweepAsync(default);

        Assert.False(await Index.TransitionAsync(slow.ImageId, ImageState.Pending, ImageState.Committed, Now, default));
        Assert.Null(await Index.GetAsync(slow.ImageId, default));
    }

    [Fact]
    public async Task Sweeping_again_or_from_two_places_at_once_does_each_thing_once()
    {
        for (var i = 0; i < 5; i++)
        {
            await AddAsync(ImageState.Pending, Start);
            await AddAsync(ImageState.Deleting, Start);
        }

        var reports = await Task.WhenAll(Task.Run(() => Sweeper().SweepAsync(default)), Task.Run(() => Sweeper().SweepAsync(default)));
        var again = await Sweeper().SweepAsync(default);

        Assert.Equal(5, reports.Sum(r => r.AbandonedUploads));
        Assert.Equal(5, reports.Sum(r => r.FinishedDeletes));
        Assert.Equal(new SweepReport(0, 0), again);
        Assert.Empty(await Blobs.AllKeysAsync());
    }

    [Fact]
    public async Task The_full_reconciliation_removes_blobs_without_a_record_in_bounded_runs_that_resume()
    {
        var committed = new List<ImageRecord>();
        var orphans = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            committed.Add(await AddAsync(ImageState.Committed, Start));
            var orphan = Guid.NewGuid();
            await Blobs.PutAsync(BlobKeys.ForVariant(orphan, "original", "jpg"), new MemoryStream([1]), "image/jpeg", default);
            orphans.Add(orphan);
        }

        var runs = new List<FullSweepReport>();
        string? from = null;
        do
        {
            var run = await Sweeper(fullPageSize: 3).ReconcileAsync(from, default);
            runs.Add(run);
            from = run.Next;
        }
        while (from is not null && runs.Count < 100);

        Assert.All(runs, run => Assert.InRange(run.BlobsChecked + run.IndexItemsChecked, 0, 3));
        Assert.Equal(12, runs.Sum(r => r.BlobsChecked)); // four images of two blobs, four orphans of one, each read once
        Assert.Equal(4, runs.Sum(r => r.OrphanBlobs));
        Assert.Null(runs[^1].Next);
        foreach (var orphan in orphans)
        {
            Assert.Equal(0, await CountBlobsAsync(orphan));
        }

        foreach (var record in committed)
        {
            Assert.Equal(2, await CountBlobsAsync(record.ImageId));
        }
    }

    [Fact]
    public async Task A_record_whose_clean_up_keeps_failing_is_counted_and_the_sweep_repairs_the_rest()
    {
        // A blob the service may not delete (a bucket policy, a file another user owns) must not stop every sweep
        // at that record, leaving whatever is listed after it unrepaired for good.
        var poison = await AddAsync(ImageState.Deleting, Start);
        var rest = new List<ImageRecord>();
        for (var i = 0; i < 4; i++)
        {
            rest.Add(await AddAsync(i % 2 == 0 ? ImageState.Pending : ImageState.Deleting, Start));
        }

        var sweeper = Sweeper(blobs: new RefusingBlobStore(Blobs, BlobKeys.ImagePrefix(poison.ImageId)));
        var first = await sweeper.SweepAsync(default);
        var second = await sweeper.SweepAsync(default);

        Assert.Equal(new SweepReport(AbandonedUploads: 2, FinishedDeletes: 2, Failed: 1), first);
        Assert.Equal(new SweepReport(AbandonedUploads: 0, FinishedDeletes: 0, Failed: 1), second);
        Assert.Equal(ImageState.Deleting, (await Index.GetAsync(poison.ImageId, default))!.State);
        foreach (var record in rest)
        {
            Assert.Null(await Index.GetAsync(record.ImageId, default));
            Assert.Equal(0, await CountBlobsAsync(record.ImageId));
        }
    }

    [Fact]
    public async Task A_full_reconciliation_refuses_a_marker_it_did_not_print()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Sweeper().ReconcileAsync("not-a-marker", default));
    }

    protected ImageSweeper Sweeper(int fullPageSize = 10_000, IBlobStore? blobs = null) =>
        new(Index, blobs ?? Blobs, new SweeperOptions { PendingAgeSeconds = 900, DeletingAgeSeconds = 60, FullPageSize = fullPageSize }, clock,
            NullLogger<ImageSweeper>.Instance);

    protected DateTimeOffset Now => clock.GetUtcNow();

    protected async Task<ImageRecord> AddAsync(ImageState state, DateTimeOffset changedAt)
    {
        var record = ImageIndexContract.Record("u", 0, "t") with { State = state, StateChangedAt = changedAt };
        await Index.TryAddAsync(record, default);
        foreach (var variant in record.Variants)
        {
            await Blobs.PutAsync(variant.Key, new MemoryStream([1, 2, 3]), variant.ContentType, default);
        }

        return record;
    }

    protected async Task<int> CountBlobsAsync(Guid imageId) => (await Blobs.AllKeysAsync(BlobKeys.ImagePrefix(imageId))).Count;

    /// <summary>Committed images with one blob each, written straight to the stores, many at a time.</summary>
    private async Task AddCommittedAsync(int count) =>
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellationToken) =>
        {
            var record = ImageIndexContract.Record("u", i) with { StateChangedAt = Start };
            await Index.TryAddAsync(record, cancellationToken);
            await Blobs.PutAsync(record.Variants[0].Key, new MemoryStream([1]), record.Variants[0].ContentType, cancellationToken);
        });

    /// <summary>Each request once with how often it was sent, so that a difference names the request.</summary>
    private static string Histogram(IReadOnlyList<string> requests) =>
        string.Join(", ", requests.GroupBy(r => r).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}"));

    /// <summary>Adds five stale pending and five stale deleting images, sweeps, and returns what the sweep asked.</summary>
    private async Task<IReadOnlyList<string>> RoutineSweepRequestsAsync()
    {
        var unsettled = new List<ImageRecord>();
        for (var i = 0; i < 5; i++)
        {
            unsettled.Add(await AddAsync(ImageState.Pending, Start));
            unsettled.Add(await AddAsync(ImageState.Deleting, Start));
        }

        ResetRequests();
        var report = await Sweeper().SweepAsync(default);
        var requests = Requests;

        Assert.Equal((5, 5), (report.AbandonedUploads, report.FinishedDeletes));
        foreach (var record in unsettled)
        {
            Assert.Null(await Index.GetAsync(record.ImageId, default));
            Assert.Equal(0, await CountBlobsAsync(record.ImageId));
        }

        return requests;
    }

    /// <summary>Refuses to delete any blob under one prefix, as a store does for a key the service may not touch.</summary>
    private sealed class RefusingBlobStore(IBlobStore inner, string refusedPrefix) : DelegatingBlobStore(inner)
    {
        public override Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
            key.StartsWith(refusedPrefix, StringComparison.Ordinal)
                ? throw new UnauthorizedAccessException($"Access to {key} is denied.")
                : base.DeleteAsync(key, cancellationToken);

        public override Task RemoveAsync(string key, CancellationToken cancellationToken) =>
            key.StartsWith(refusedPrefix, StringComparison.Ordinal)
                ? throw new UnauthorizedAccessException($"Access to {key} is denied.")
                : base.RemoveAsync(key, cancellationToken);
    }
}
