namespace ImageService.Core.Metadata;

/// <summary>The validated, normalised <c>metadata</c> of an upload.</summary>
public sealed record UploadMetadata(string UserId, string Caption, IReadOnlyList<string> Tags);
