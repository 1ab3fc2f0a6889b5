using ImageService.Core.Images;
using ImageService.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Sweeping;

/// <summary>
/// Finishes what failures and crashes leave behind. The routine sweep (<see cref="SweepAsync"/>, in the
/// background of every process) reads only the unsettled records and the blob keys they list, so its cost is
/// what there is to repair, not the size of the catalogue. The full reconciliation (<see cref="ReconcileAsync"/>,
/// <c>sweep --full</c>) compares the bucket with the records and the index with itself, a bounded page per run.
/// Every step is idempotent and conditional, so several instances may sweep at once.
/// </summary>
public sealed class ImageSweeper(IImageIndex index, IBlobStore blobs, SweeperOptions options, TimeProvider time, ILogger<ImageSweeper> logger)
{
    private const string ImagesPrefix = "images/";

    /// <summary>Removes abandoned pending uploads with their blobs, finishes interrupted deletes, and settles the tag
    /// entries of interrupted edits.</summary>
    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var pendingCutoff = now.AddSeconds(-options.PendingAgeSeconds);
        var deletingCutoff = now.AddSeconds(-options.DeletingAgeSeconds);
        int abandoned = 0, finished = 0, failed = 0;

        await foreach (var record in index.ListUnsettledAsync(now.AddSeconds(-Math.Min(options.PendingAgeSeconds, options.DeletingAgeSeconds)), cancellationToken))
        {
            var due = record.State == ImageState.Pending ? record.StateChangedAt < pendingCutoff : record.StateChangedAt < deletingCutoff;
            if (!due)
            {
                continue;
            }

            // One record whose clean-up keeps failing (a blob the service may not delete) is left for the next sweep,
            // not allowed to stop every sweep before the records listed after it. A store that is down ends the run.
            try
            {
                if (await SettleAsync(record, now, cancellationToken))
                {
                    _ = record.State == ImageState.Pending ? abandoned++ : finished++;
                }
            }
            catch (Exception e) when (e is not StoreUnavailableException && !cancellationToken.IsCancellationRequested)
            {
                failed++;
                logger.LogWarning(e, "Sweep could not clean up image {ImageId} ({State}); the next sweep will try again", record.ImageId, record.State);
            }
        }

        // An edit that a failure interrupted is as old as an interrupted delete when it is settled.
        var edits = await index.SettleEditsAsync(deletingCutoff, cancellationToken);

        var report = new SweepReport(abandoned, finished, failed) { EditsSettled = edits };
        logger.LogInformation("Swept: {AbandonedUploads} abandoned uploads, {FinishedDeletes} deletes finished, {EditsSettled} edits settled, {Failed} failed",
            report.AbandonedUploads, report.FinishedDeletes, report.EditsSettled, report.Failed);
        return report;
    }

    /// <summary>Takes a stale upload over, removes the record's blobs, then the record; true when this call removed it.</summary>
    private async Task<bool> SettleAsync(ImageRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // A stale upload is first taken over (pending -> deleting): if it is in fact still running, its commit
        // now fails instead of committing a record whose blobs the sweeper is removing.
        if (record.State == ImageState.Pending
            && !await index.TransitionAsync(record.ImageId, ImageState.Pending, ImageState.Deleting, now, cancellationToken))
        {
            return false;
        }

        // The record is written, listing every variant key, before any blob is put, so its keys are all the blobs
        // there can be. Blobs before the record: the record is what tells the next sweep there is still work.
        await blobs.DeleteAllAsync(record, cancellationToken);
        return await index.RemoveAsync(record.ImageId, ImageState.Deleting, cancellationToken);
    }

    /// <summary>
    /// One run of the full reconciliation: at most <see cref="SweeperOptions.FullPageSize"/> blob keys and index items
    /// read, starting at <paramref name="from"/> (the <see cref="FullSweepReport.Next"/> of the previous run; null to
    /// start). First the bucket, key by key, against the records; then the index's orphan entries. Throws
    /// <see cref="ArgumentException"/> when <paramref name="from"/> is not a marker a run returned.
    /// </summary>
    public async Task<FullSweepReport> ReconcileAsync(string? from, CancellationToken cancellationToken)
    {
        var position = from is null ? FullSweepMarker.Beginning : FullSweepMarker.Decode(from);
        var budget = options.FullPageSize;
        int blobsChecked = 0, orphanBlobs = 0, entriesChecked = 0, orphanEntries = 0;
        string? next = null;

        if (position.Phase == FullSweepMarker.Blobs)
        {
            var keys = new List<string>();
            await foreach (var key in blobs.ListKeysAsync(ImagesPrefix, position.After, cancellationToken))
            {
                keys.Add(key);
                if (keys.Count == budget)
                {
                    break;
                }
            }

            blobsChecked = keys.Count;
            orphanBlobs = await RemoveOrphanBlobsAsync(keys, cancellationToken);
            budget -= keys.Count;
            position = budget == 0 ? new FullSweepMarker(FullSweepMarker.Blobs, keys[^1]) : new FullSweepMarker(FullSweepMarker.Entries, null);
            next = budget == 0 ? position.Encode() : null;
        }

        if (position.Phase == FullSweepMarker.Entries && budget > 0)
        {
            var page = await index.RemoveOrphanEntriesAsync(position.After, budget, cancellationToken);
            (entriesChecked, orphanEntries) = (page.Read, page.Removed);
            next = page.Next is null ? null : new FullSweepMarker(FullSweepMarker.Entries, page.Next).Encode();
        }

        var report = new FullSweepReport(blobsChecked, orphanBlobs, entriesChecked, orphanEntries, next);
        logger.LogInformation(
            "Full sweep: {BlobsChecked} blobs checked, {OrphanBlobs} orphan blobs, {IndexItemsChecked} index items checked, {OrphanEntries} orphan index entries; {Next}",
            report.BlobsChecked, report.OrphanBlobs, report.IndexItemsChecked, report.OrphanIndexEntries, next is null ? "done" : "more to do");
        return report;
    }

    /// <summary>
    /// A record is written (pending) before any of its blobs, and removed only after them; so a blob whose image
    /// has no record at all belongs to an upload or delete that is over, and is garbage.
    /// </summary>
    private async Task<int> RemoveOrphanBlobsAsync(List<string> keys, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var image in keys.GroupBy(ImageIdOf).Where(g => g.Key is not null))
        {
            if (await index.GetAsync(image.Key!.Value, cancellationToken) is not null)
            {
                continue;
            }

            foreach (var key in image)
            {
                removed += await blobs.DeleteAsync(key, cancellationToken) ? 1 : 0;
            }
        }

        return removed;
    }

    /// <summary>The image a key of the form <c>images/{id}/{file}</c> belongs to (see <see cref="BlobKeys.ForVariant"/>).</summary>
    private static Guid? ImageIdOf(string key) =>
        key.Split('/') is [_, var id, _] && Guid.TryParseExact(id, "D", out var imageId) ? imageId : null;
}

/// <summary>What one routine sweep did; <paramref name="Failed"/> counts records whose clean-up failed and is left
/// to the next sweep.</summary>
public sealed record SweepReport(int AbandonedUploads, int FinishedDeletes, int Failed = 0)
{
    /// <summary>Edits whose tag entries a failure left unmoved, settled now.</summary>
    public int EditsSettled { get; init; }

    /// <summary>Direct uploads whose file arrived but which nobody completed before their form expired, completed now.</summary>
    public int DirectUploadsCompleted { get; init; }

    /// <summary>Raw files of direct uploads that are over, unknown or past their time, deleted.</summary>
    public int RawUploadsRemoved { get; init; }

    /// <summary>Images stored before placeholders existed that got theirs in this sweep's backfill batch.</summary>
    public int PlaceholdersBackfilled { get; init; }
}

/// <summary>What one run of the full reconciliation did, and the marker to resume from (null when it is complete).</summary>
public sealed record FullSweepReport(int BlobsChecked, int OrphanBlobs, int IndexItemsChecked, int OrphanIndexEntries, string? Next);
