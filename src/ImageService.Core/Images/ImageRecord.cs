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
    public StoredVariant Variant(string name) =>
        Variants.FirstOrDefault(v => v.Name == name) ?? Variants.First(v => v.Name == VariantNames.Original);
}

/// <summary>One stored rendition of an image.</summary>
public sealed record StoredVariant(string Name, string Key, string ContentType, int Width, int Height, long SizeBytes);

public static class VariantNames
{
    public const string Thumbnail = "thumbnail";
    public const string Display = "display";
    public const string Original = "original";
}
