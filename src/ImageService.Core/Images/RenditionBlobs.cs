using ImageService.Core.Ports;

namespace ImageService.Core.Images;

/// <summary>
/// The blobs of one image's renditions. On S3 each request is a round trip of tens of milliseconds that a Lambda
/// function is billed for while it waits (docs/scaling.md, "Compute per action"), so the three puts go at once, and
/// removal asks no question first.
/// </summary>
public static class RenditionBlobs
{
    /// <summary>Puts each rendition's file under its key, at the same time; every put has ended when this does, so a
    /// caller that cleans up after a failure never races a put still in flight.</summary>
    public static Task PutAllAsync(this IBlobStore blobs, IEnumerable<(string FilePath, StoredVariant Stored)> renditions, CancellationToken cancellationToken) =>
        Task.WhenAll(renditions.Select(async rendition =>
        {
            await using var content = new FileStream(rendition.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
            await blobs.PutAsync(rendition.Stored.Key, content, rendition.Stored.ContentType, cancellationToken);
        }));

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
