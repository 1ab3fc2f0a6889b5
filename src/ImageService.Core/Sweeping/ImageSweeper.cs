using ImageService.Core.Images;
using ImageService.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Sweeping;

/// <summary>
/// Finishes what failures and crashes leave behind: removes abandoned pending uploads with their blobs,
/// finishes interrupted deletes, deletes blobs that no record owns, and drops index entries that no record
/// owns. Every step is idempotent and conditional, so several instances may sweep at once.
/// </summary>
public sealed class ImageSweeper(IImageIndex index, IBlobStore blobs, SweeperOptions options, TimeProvider time, ILogger<ImageSweeper> logger)
{
    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var pendingCutoff = now.AddSeconds(-options.PendingAgeSeconds);
        var deletingCutoff = now.AddSeconds(-options.DeletingAgeSeconds);
        int abandoned = 0, finished = 0;

        await foreach (var record in index.ListUnsettledAsync(now.AddSeconds(-Math.Min(options.PendingAgeSeconds, options.DeletingAgeSeconds)), cancellationToken))
        {
            var due = record.State == ImageState.Pending ? record.StateChangedAt < pendingCutoff : record.StateChangedAt < deletingCutoff;
            if (!due)
            {
                continue;
            }

            // A stale upload is first taken over (pending -> deleting): if it is in fact still running, its commit
            // now fails instead of committing a record whose blobs the sweeper is removing.
            if (record.State == ImageState.Pending
                && !await index.TransitionAsync(record.ImageId, ImageState.Pending, ImageState.Deleting, now, cancellationToken))
            {
                continue;
            }

            // Blobs before the record: the record is what tells the next sweep there is still something to do.
            await DeleteBlobsAsync(record.ImageId, cancellationToken);
            if (await index.RemoveAsync(record.ImageId, ImageState.Deleting, cancellationToken))
            {
                _ = record.State == ImageState.Pending ? abandoned++ : finished++;
            }
        }

        var orphanBlobs = await RemoveOrphanBlobsAsync(cancellationToken);
        var orphanEntries = await index.RemoveOrphanEntriesAsync(cancellationToken);
        var report = new SweepReport(abandoned, finished, orphanBlobs, orphanEntries);
        logger.LogInformation(
            "Swept: {AbandonedUploads} abandoned uploads, {FinishedDeletes} deletes finished, {OrphanBlobs} orphan blobs, {OrphanEntries} orphan index entries",
            report.AbandonedUploads, report.FinishedDeletes, report.OrphanBlobs, report.OrphanIndexEntries);
        return report;
    }

    /// <summary>
    /// A record is written (pending) before any of its blobs, and removed only after them; so a blob whose image
    /// has no record at all belongs to an upload or delete that is over, and is garbage.
    /// </summary>
    private async Task<int> RemoveOrphanBlobsAsync(CancellationToken cancellationToken)
    {
        var byImage = new Dictionary<Guid, List<string>>();
        await foreach (var key in blobs.ListKeysAsync("images/", cancellationToken))
        {
            var parts = key.Split('/');
            if (parts.Length == 3 && Guid.TryParseExact(parts[1], "D", out var imageId))
            {
                byImage.TryAdd(imageId, []);
                byImage[imageId].Add(key);
            }
        }

        var removed = 0;
        foreach (var (imageId, keys) in byImage)
        {
            if (await index.GetAsync(imageId, cancellationToken) is not null)
            {
                continue;
            }

            foreach (var key in keys)
            {
                removed += await blobs.DeleteAsync(key, cancellationToken) ? 1 : 0;
            }
        }

        return removed;
    }

    private async Task DeleteBlobsAsync(Guid imageId, CancellationToken cancellationToken)
    {
        // By prefix rather than from the record, to catch a blob written for a variant the record does not list.
        var keys = new List<string>();
        await foreach (var key in blobs.ListKeysAsync(BlobKeys.ImagePrefix(imageId), cancellationToken))
        {
            keys.Add(key);
        }

        foreach (var key in keys)
        {
            await blobs.DeleteAsync(key, cancellationToken);
        }
    }
}

/// <summary>What one sweep did.</summary>
public sealed record SweepReport(int AbandonedUploads, int FinishedDeletes, int OrphanBlobs, int OrphanIndexEntries);
