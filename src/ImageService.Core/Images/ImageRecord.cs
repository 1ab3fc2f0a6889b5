namespace ImageService.Core.Images;

/// <summary>The index entry of one uploaded image: who posted it, what it says, and where its variants live.</summary>
public sealed record ImageRecord(
    Guid ImageId,
    string UserId,
    string Caption,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    int Width,
    int Height,
    string ContentType,
    long SizeBytes,
    string Sha256,
    IReadOnlyList<StoredVariant> Variants)
{
    /// <summary>A description of the image for people who cannot see it; null when there is none.</summary>
    public string? AltText { get; init; }

    /// <summary>A ThumbHash of the image (base64), for a client to paint before the pixels arrive; null for images stored
    /// before placeholders existed (until they are backfilled) or processed with placeholders turned off.</summary>
    public string? Placeholder { get; init; }

    /// <summary>The image's dominant colour, <c>#rrggbb</c>; null like <see cref="Placeholder"/>.</summary>
    public string? DominantColor { get; init; }

    /// <summary>The version of the editable fields (caption, tags, alt text): 1 at upload, one more with every edit.
    /// Clients see it as the ETag; a backfilled placeholder does not change it.</summary>
    public long Version { get; init; } = 1;

    /// <summary>When the editable fields last changed; <see cref="CreatedAt"/> until the first edit.</summary>
    public DateTimeOffset UpdatedAt { get; init; } = CreatedAt;

    /// <summary>True while the index has not finished moving the tag entries of the last edit (a failure interrupted it;
    /// on DynamoDB only, where an edit is several writes). <see cref="Ports.IImageIndex.SettleEditAsync"/> finishes them.</summary>
    public bool EditUnsettled { get; init; }

    /// <summary>Where the image is in its life; only <see cref="ImageState.Committed"/> images are listed or viewable.</summary>
    public ImageState State { get; init; } = ImageState.Committed;

    /// <summary>When <see cref="State"/> last changed; the sweeper uses it to tell a stuck step from one in progress.</summary>
    public DateTimeOffset StateChangedAt { get; init; } = CreatedAt;

    public StoredVariant Variant(string name) =>
        Variants.FirstOrDefault(v => v.Name == name) ?? Variants.First(v => v.Name == VariantNames.Original);
}

/// <summary>
/// The life of an image: <c>Pending</c> (record written, blobs being stored) → <c>Committed</c> (visible)
/// → <c>Deleting</c> (invisible, blobs being removed) → gone. Each arrow is one conditional write on the record.
/// </summary>
public enum ImageState
{
    Pending,
    Committed,
    Deleting,
}

/// <summary>One stored rendition of an image.</summary>
public sealed record StoredVariant(string Name, string Key, string ContentType, int Width, int Height, long SizeBytes);

public static class VariantNames
{
    public const string Thumbnail = "thumbnail";
    public const string Display = "display";
    public const string Original = "original";
}
