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

    /// <summary>Records that the upload became <paramref name="imageId"/>; true when it now holds that image (also when
    /// it already did), false when it is gone or ended otherwise.</summary>
    Task<bool> CompleteAsync(Guid uploadId, Guid imageId, CancellationToken cancellationToken);

    /// <summary>Records that the upload failed for good; true when it now holds this failure or another one, false when
    /// it is gone or completed.</summary>
    Task<bool> FailAsync(Guid uploadId, DirectUploadFailure failure, CancellationToken cancellationToken);
}
