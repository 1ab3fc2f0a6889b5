using ImageService.Core.Uploads;

namespace ImageService.Core.Ports;

/// <summary>
/// The direct uploads a client was given permission for. Each change is one conditional write on one item; an upload
/// that is no longer open never changes again. Old uploads disappear by themselves some time after
/// <see cref="DirectUpload.CompleteBy"/> (a DynamoDB TTL; SQLite purges a few on each add).
/// Implementations: SQLite (embedded), DynamoDB (items of the image table).
/// </summary>
public interface IDirectUploadStore
{
    /// <summary>Adds the upload; false, changing nothing, when one with its id exists.</summary>
    Task<bool> TryAddAsync(DirectUpload upload, CancellationToken cancellationToken);

    /// <summary>The upload, with its outcome if it has one; null when there is none.</summary>
    Task<DirectUpload?> GetAsync(Guid uploadId, CancellationToken cancellationToken);

    /// <summary>Marks the open upload as being completed by <paramref name="owner"/> until <paramref name="until"/>, unless
    /// another owner's mark is still running at <paramref name="now"/>; true when the mark is now the owner's. A hint
    /// that spares a second complete the cost of fetching the file again: one image per upload rests on the idempotency
    /// key, not on this mark, which lapses by itself when its holder dies.</summary>
    Task<bool> TryMarkCompletingAsync(Guid uploadId, string owner, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Gives up <paramref name="owner"/>'s mark (a complete that ended without an image: the file had not
    /// arrived, the service was busy), so that the next complete need not wait for it to lapse.</summary>
    Task ReleaseCompletingAsync(Guid uploadId, string owner, CancellationToken cancellationToken);

    /// <summary>Records that the upload became <paramref name="imageId"/>; true when it now holds that image (also when
    /// it already did), false when it is gone or ended otherwise.</summary>
    Task<bool> CompleteAsync(Guid uploadId, Guid imageId, CancellationToken cancellationToken);

    /// <summary>Records that the upload failed for good; true when it now holds this failure or another one, false when
    /// it is gone or completed.</summary>
    Task<bool> FailAsync(Guid uploadId, DirectUploadFailure failure, CancellationToken cancellationToken);
}
