namespace ImageService.Core.Images;

/// <summary>The one way an image gets in. <see cref="UploadWorkflow"/> does the work; wrappers such as
/// <see cref="IdempotentUploads"/> add what cuts across it.</summary>
public interface IUploadWorkflow
{
    Task<UploadOutcome> UploadAsync(UploadRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// An upload as the host received it: the metadata text, the body already staged to <see cref="StagedFilePath"/>, the
/// folder the processed variants may be written to (the host cleans it), who is asking, the optional
/// Idempotency-Key header, and the media type the file must turn out to be, when the client declared one.
/// </summary>
public sealed record UploadRequest(
    string? MetadataJson, string StagedFilePath, string WorkFolder, Caller Caller, string? IdempotencyKey = null, string? ExpectedContentType = null)
{
    /// <summary>The <see cref="IdempotencyKey"/> is the service's own (a direct upload's), kept apart from every key a
    /// client can send, so that no client request can take it.</summary>
    public bool IsServiceKey { get; init; }
}

/// <summary>The image an upload produced, and whether it was an earlier upload's answer replayed.</summary>
public sealed record UploadOutcome(ImageRecord Record, bool Replayed);
