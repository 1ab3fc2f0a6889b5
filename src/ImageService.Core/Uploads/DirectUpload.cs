namespace ImageService.Core.Uploads;

/// <summary>
/// A direct upload: permission, given by <c>POST /uploads</c>, to put one file of a declared size, type and (optionally)
/// SHA-256 at <see cref="RawKey"/>, and the metadata the image will carry once <c>complete</c> turns it into an image.
/// <see cref="MetadataJson"/> is the request's JSON as sent, already checked. An upload is open until it completes
/// (with <see cref="ImageId"/>) or fails for good (with <see cref="Failure"/>); either is written once and never undone.
/// </summary>
public sealed record DirectUpload(
    Guid UploadId,
    string UserId,
    bool Authenticated,
    string MetadataJson,
    long SizeBytes,
    string ContentType,
    string? Sha256,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CompleteBy)
{
    /// <summary>The image <c>complete</c> made; null until then.</summary>
    public Guid? ImageId { get; init; }

    /// <summary>Why the stored bytes can never become an image (they were deleted); null unless that happened.</summary>
    public DirectUploadFailure? Failure { get; init; }

    public string RawKey => RawKeyOf(UploadId);

    public bool IsOpen => ImageId is null && Failure is null;

    /// <summary>Where the client's bytes land, outside <c>images/</c>: the bucket's lifecycle expires this prefix.</summary>
    public const string RawPrefix = "uploads/";

    public static string RawKeyOf(Guid uploadId) => $"{RawPrefix}{uploadId:D}";

    /// <summary>The upload a raw key belongs to, or null for any other key.</summary>
    public static Guid? UploadIdOf(string key) =>
        key.StartsWith(RawPrefix, StringComparison.Ordinal) && Guid.TryParseExact(key.AsSpan(RawPrefix.Length), "D", out var id) ? id : null;
}

/// <summary>A refusal that is final for these bytes, kept so that every later <c>complete</c> gives the same answer.</summary>
public sealed record DirectUploadFailure(ImageErrorKind Kind, string Detail);
