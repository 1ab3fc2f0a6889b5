using ImageService.Core.Ports;
using ImageService.Core.Processing;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Sweeping;

/// <summary>
/// Gives images stored before placeholders existed their placeholder and dominant colour, computed from the thumbnail
/// rendition alone (never the display or the original). The routine sweep runs one batch of at most
/// <see cref="SweeperOptions.BackfillBatchSize"/> records, from the position the last batch saved in the index, so the
/// work resumes across sweeps, processes and restarts. Once a pass has gone through the index it stays done, since
/// every new upload gets its placeholder at ingest; a process that has seen it done asks the index no more.
/// Several instances may run batches at once (Lambda): each write is conditional on the record still having no
/// placeholder, so the same batch run twice costs decodes but writes each record once, and a position saved out of
/// order only makes a later batch look at some records again.
/// </summary>
public sealed class PlaceholderBackfill(
    IPlaceholderBackfillStore store, IBlobStore blobs, IImageProcessor processor, SweeperOptions options, ILogger<PlaceholderBackfill> logger)
{
    /// <summary>The most bytes read of a stored thumbnail. Ours are tens of kilobytes; a bigger blob is not one.</summary>
    public const int MaxThumbnailBytes = 1024 * 1024;

    private volatile bool done;
    private volatile bool reopened;

    /// <summary>While <c>Processing:Placeholders</c> is off new images are stored without one, so a pass already done must
    /// run again once placeholders are back on: marks it not done (once per process; one read, and a write when it was).</summary>
    public async Task ReopenAsync(CancellationToken cancellationToken)
    {
        if (reopened)
        {
            return;
        }

        if ((await store.ReadPositionAsync(cancellationToken)).Done)
        {
            await store.SavePositionAsync(PlaceholderBackfillPosition.Beginning, cancellationToken);
        }

        (reopened, done) = (true, false);
    }

    /// <summary>One bounded batch, unless <see cref="SweeperOptions.BackfillBatchSize"/> is 0 or the backfill is done.</summary>
    public async Task<PlaceholderBackfillReport> RunBatchAsync(CancellationToken cancellationToken)
    {
        if (options.BackfillBatchSize == 0 || done)
        {
            return new PlaceholderBackfillReport(0, 0, 0, 0, done);
        }

        var position = await store.ReadPositionAsync(cancellationToken);
        if (position.Done)
        {
            done = true;
            return new PlaceholderBackfillReport(0, 0, 0, 0, Done: true);
        }

        return (await BatchAsync(position, options.BackfillBatchSize, cancellationToken)).Report;
    }

    /// <summary>
    /// The <c>sweep --backfill</c> command: batches until the pass is done. It finishes the pass under way; when the
    /// last one is already done it runs a new one, which finds what a pass can miss (a record committed, without a
    /// placeholder, behind the position while an older version of the service was still running).
    /// </summary>
    public async Task<PlaceholderBackfillReport> RunToEndAsync(CancellationToken cancellationToken)
    {
        var position = await store.ReadPositionAsync(cancellationToken);
        if (position.Done)
        {
            position = PlaceholderBackfillPosition.Beginning;
        }

        var size = options.BackfillBatchSize == 0 ? SweeperOptions.DefaultBackfillBatchSize : options.BackfillBatchSize;
        var total = new PlaceholderBackfillReport(0, 0, 0, 0, Done: false);
        while (!total.Done)
        {
            (var batch, position) = await BatchAsync(position, size, cancellationToken);
            total = new PlaceholderBackfillReport(
                total.Checked + batch.Checked, total.Filled + batch.Filled, total.Skipped + batch.Skipped, total.Failed + batch.Failed, batch.Done);
        }

        return total;
    }

    private async Task<(PlaceholderBackfillReport Report, PlaceholderBackfillPosition Next)> BatchAsync(PlaceholderBackfillPosition from, int size, CancellationToken cancellationToken)
    {
        PlaceholderBackfillPage page;
        try
        {
            page = await store.ListWithoutPlaceholderAsync(from.After, size, cancellationToken);
        }
        catch (ArgumentException e) when (from.After is not null)
        {
            // A saved position this store cannot read (edited, or from another store) must not fail every sweep.
            logger.LogWarning(e, "Placeholder backfill cannot resume from its saved position; its pass starts again");
            page = await store.ListWithoutPlaceholderAsync(null, size, cancellationToken);
        }

        int filled = 0, skipped = 0, failed = 0;
        foreach (var candidate in page.Records)
        {
            // A thumbnail that cannot give a placeholder is logged and passed: the position moves on after this batch,
            // so one bad image never stops the batch nor comes back every sweep. A store that is down ends the batch
            // before the position is saved, and the next sweep runs it again.
            try
            {
                var placeholder = await FromThumbnailAsync(candidate, cancellationToken);
                _ = await store.SetPlaceholderAsync(candidate.ImageId, placeholder.ThumbHash, placeholder.DominantColor, cancellationToken)
                    ? filled++
                    : skipped++; // deleted, no longer committed, or filled by another instance meanwhile
            }
            catch (Exception e) when (e is not StoreUnavailableException && !cancellationToken.IsCancellationRequested)
            {
                failed++;
                logger.LogWarning(e, "Placeholder backfill skipped image {ImageId}: its thumbnail gave no placeholder", candidate.ImageId);
            }
        }

        var next = new PlaceholderBackfillPosition(page.Next, Done: page.Next is null);
        await store.SavePositionAsync(next, cancellationToken);
        done = next.Done;
        logger.LogInformation("Placeholder backfill: {Checked} images checked, {Filled} filled, {Skipped} changed meanwhile, {Failed} failed; {Progress}",
            page.Records.Count, filled, skipped, failed, next.Done ? "done" : "more to do");
        return (new PlaceholderBackfillReport(page.Records.Count, filled, skipped, failed, next.Done), next);
    }

    private async Task<ImagePlaceholder> FromThumbnailAsync(PlaceholderCandidate candidate, CancellationToken cancellationToken)
    {
        var key = candidate.ThumbnailKey ?? throw new InvalidDataException("The record lists no thumbnail rendition.");
        await using var blob = await blobs.OpenReadAsync(key, cancellationToken)
            ?? throw new InvalidDataException($"The thumbnail {key} is missing.");
        if (blob.Length > MaxThumbnailBytes)
        {
            throw new InvalidDataException($"The thumbnail {key} is {blob.Length:N0} bytes, more than a thumbnail's {MaxThumbnailBytes:N0}.");
        }

        // The length is the store's word; the bytes read are capped whatever it said.
        using var bytes = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await blob.Stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (bytes.Length + read > MaxThumbnailBytes)
            {
                throw new InvalidDataException($"The thumbnail {key} is longer than a thumbnail's {MaxThumbnailBytes:N0} bytes.");
            }

            bytes.Write(chunk, 0, read);
        }

        return await processor.PlaceholderFromThumbnailAsync(bytes.ToArray(), candidate.Width, candidate.Height, cancellationToken);
    }
}

/// <summary>What the placeholder backfill did: records checked, placeholders written, records that changed meanwhile
/// (deleted, or filled by another instance), records whose thumbnail gave none (logged and passed), and whether the
/// pass has gone through the whole index.</summary>
public sealed record PlaceholderBackfillReport(int Checked, int Filled, int Skipped, int Failed, bool Done);
