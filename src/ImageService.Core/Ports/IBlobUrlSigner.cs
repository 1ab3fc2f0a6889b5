namespace ImageService.Core.Ports;

/// <summary>
/// The capability of handing out expiring download links for blobs. Kept apart from <see cref="IBlobStore"/>
/// because only some stores can do it: S3 presigns, the local store has the app sign and serve.
/// </summary>
public interface IBlobUrlSigner
{
    /// <summary>Creates a link that downloads the blob until <paramref name="expiresAt"/>. The link may be
    /// relative to the service's own base address.</summary>
    ValueTask<Uri> SignDownloadAsync(BlobDownload download, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}

/// <summary>A blob to be downloaded, with the content type and file name the download must carry.</summary>
public sealed record BlobDownload(string Key, string ContentType, string FileName);
