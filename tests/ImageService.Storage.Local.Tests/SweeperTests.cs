using ImageService.Core.Images;
using ImageService.Core.Sweeping;
using ImageService.Testing;
using ImageService.Testing.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageService.Storage.Local.Tests;

/// <summary>The sweeper on real stores (a folder and a SQLite index), with a clock the test sets.</summary>
public sealed class SweeperTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string root = Directory.CreateTempSubdirectory("sweeper-").FullName;
    private readonly FileSystemBlobStore blobs;
    private readonly SqliteImageIndex index;
    private readonly ManualClock clock = new(Start.AddHours(1));

    public SweeperTests()
    {
        blobs = new FileSystemBlobStore(root);
        index = new SqliteImageIndex(Path.Combine(root, "index.db"));
    }

    [Fact]
    public async Task One_sweep_clears_abandoned_uploads_unfinished_deletes_and_orphan_blobs_and_keeps_the_rest()
    {
        var committed = await AddAsync(ImageState.Committed, Start);
        var stalePending = await AddAsync(ImageState.Pending, Start);
        var freshPending = await AddAsync(ImageState.Pending, clock.GetUtcNow().AddMinutes(-1));
        var staleDeleting = await AddAsync(ImageState.Deleting, Start);
        var orphanId = Guid.NewGuid();
        await blobs.PutAsync(BlobKeys.ForVariant(orphanId, "original", "jpg"), new MemoryStream([1]), "image/jpeg", default);

        var report = await Sweeper().SweepAsync(default);

        Assert.Equal(new SweepReport(AbandonedUploads: 1, FinishedDeletes: 1, OrphanBlobs: 1, OrphanIndexEntries: 0), report);
        Assert.Equal(ImageState.Committed, (await index.GetAsync(committed.ImageId, default))!.State);
        Assert.Equal(2, await CountBlobsAsync(committed.ImageId));
        Assert.Equal(ImageState.Pending, (await index.GetAsync(freshPending.ImageId, default))!.State);
        Assert.Equal(2, await CountBlobsAsync(freshPending.ImageId));
        foreach (var gone in new[] { stalePending.ImageId, staleDeleting.ImageId, orphanId })
        {
            Assert.Null(await index.GetAsync(gone, default));
            Assert.Equal(0, await CountBlobsAsync(gone));
        }
    }

    [Fact]
    public async Task An_upload_the_sweeper_took_over_can_no_longer_commit()
    {
        var slow = await AddAsync(ImageState.Pending, Start);

        await Sweeper().SweepAsync(default);

        Assert.False(await index.TransitionAsync(slow.ImageId, ImageState.Pending, ImageState.Committed, clock.GetUtcNow(), default));
        Assert.Null(await index.GetAsync(slow.ImageId, default));
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
        Assert.Equal(new SweepReport(0, 0, 0, 0), again);
        Assert.Empty(await ToListAsync(blobs.ListKeysAsync("", default)));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }

    private ImageSweeper Sweeper() =>
        new(index, blobs, new SweeperOptions { PendingAgeSeconds = 900, DeletingAgeSeconds = 60 }, clock, NullLogger<ImageSweeper>.Instance);

    private async Task<ImageRecord> AddAsync(ImageState state, DateTimeOffset changedAt)
    {
        var record = ImageIndexContract.Record("u", 0, "t") with { State = state, StateChangedAt = changedAt };
        await index.TryAddAsync(record, default);
        foreach (var variant in record.Variants)
        {
            await blobs.PutAsync(variant.Key, new MemoryStream([1, 2, 3]), variant.ContentType, default);
        }

        return record;
    }

    private async Task<int> CountBlobsAsync(Guid imageId) => (await ToListAsync(blobs.ListKeysAsync(BlobKeys.ImagePrefix(imageId), default))).Count;

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<string> keys)
    {
        var list = new List<string>();
        await foreach (var key in keys)
        {
            list.Add(key);
        }

        return list;
    }
}
