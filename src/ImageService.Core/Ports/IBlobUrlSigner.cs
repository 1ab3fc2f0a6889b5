namespace ImageService.Core.Ports;

/// <summary>
/// The capability of handing out expiring download links for blobs. Kept apart from <see cref="IBlobStore"/>
/// because only some stores can do it: S3 presigns, the local store has the app sign and serve.
/// </summary>
public interface IBlobUrlSigner
{
    /// <summary>The latest expiry, at most <paramref name="wanted"/>, that a link or form signed now can keep: a signature
    /// made with temporary credentials dies with them, whatever expiry it names. Callers sign with this and advertise it.</summary>
    ValueTask<DateTimeOffset> LatestExpiryAsync(DateTimeOffset wanted, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Creates a link that downloads the blob until <paramref name="expiresAt"/>. The link may be
    /// relative to the service's own base address.</summary>
    ValueTask<Uri> SignDownloadAsync(BlobDownload download, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Creates a form with which a client may post one file to <see cref="UploadPermit.Key"/> until
    /// <paramref name="expiresAt"/>: only a file of the permit's exact size and content type (and SHA-256, when set).
    /// The URL may be relative to the service's own base address. The client sends the fields first, the file last.</summary>
    ValueTask<SignedUploadForm> SignUploadAsync(UploadPermit permit, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}

/// <summary>A blob to be downloaded, with the content type and file name the download must carry.</summary>
public sealed record BlobDownload(string Key, string ContentType, string FileName);

/// <summary>What a direct upload may put: one file at <paramref name="Key"/>, exactly <paramref name="SizeBytes"/> long, of
/// <paramref name="ContentType"/>, and with <paramref name="Sha256"/> (lower-case hex) when it is set.</summary>
public sealed record UploadPermit(Guid UploadId, string Key, string ContentType, long SizeBytes, string? Sha256);

/// <summary>A signed upload form: where to post it (<c>multipart/form-data</c>), and the fields to send before the file.</summary>
public sealed record SignedUploadForm(Uri Url, IReadOnlyDictionary<string, string> Fields);
