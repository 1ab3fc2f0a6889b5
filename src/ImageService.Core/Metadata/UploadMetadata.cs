namespace ImageService.Core.Metadata;

/// <summary>The validated, normalised <c>metadata</c> of an upload; <paramref name="AltText"/> is null when there is none.</summary>
public sealed record UploadMetadata(string UserId, string Caption, IReadOnlyList<string> Tags, string? AltText = null);
