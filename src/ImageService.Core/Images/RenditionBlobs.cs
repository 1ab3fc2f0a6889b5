using ImageService.Core.Ports;

namespace ImageService.Core.Images;

/// <summary>
/// The blobs of one image's renditions. On S3 each request is a round trip of tens of milliseconds that a Lambda
/// function is billed for while it waits (docs/scaling.md, "Compute per action"), so the three puts go at once (each
/// runs to its end before a failure is reported, so a caller that cleans up after one never races a put in flight),
/// and removal asks no question first.
/// </summary>
public static class RenditionBlobs
{
    /// <summary>Puts each rendition's file under its key, at the same time. The first failure cancels the others (a
    /// refused thumbnail should not keep the function waiting, and billed, for the original's bytes), and every put has
    /// ended when this does.</summary>
    public static async Task PutAllAsync(this IBlobStore blobs, IEnumerable<(string FilePath, StoredVariant Stored)> renditions, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? first = null;
        try
        {
            await Task.WhenAll(renditions.Select(async rendition =>
            {
                try
                {
                    await using var content = new FileStream(rendition.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1,
                        FileOptions.Asynchronous | FileOptions.SequentialScan);
                    await blobs.PutAsync(rendition.Stored.Key, content, rendition.Stored.ContentType, failed.Token);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref first, e, null);
                    await failed.CancelAsync();
                    throw;
                }
            }));
        }
        catch when (first is not null)
        {
            // The failure that stopped the others, not whatever their cancellation looked like.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Removes every rendition of <paramref name="record"/>, one after another: the removals are cheap once the
    /// existence check is gone, and s3rver, the emulator the tests use, fails one of two removals in the same folder
    /// that run at once (each tidies up the folder the other is still in), which an SDK retry would then hide.</summary>
    public static async Task DeleteAllAsync(this IBlobStore blobs, ImageRecord record, CancellationToken cancellationToken)
    {
        foreach (var variant in record.Variants)
        {
            await blobs.RemoveAsync(variant.Key, cancellationToken);
        }
    }
}
