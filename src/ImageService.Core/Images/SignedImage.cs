namespace ImageService.Core.Images;

/// <summary>An image record with download links for some of its variants, all valid until <see cref="ExpiresAt"/>.</summary>
public sealed record SignedImage(ImageRecord Record, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, Uri> Urls)
{
    public Uri Url => Urls[VariantNames.Original];

    public Uri ThumbnailUrl => Urls.TryGetValue(VariantNames.Thumbnail, out var url) ? url : Url;
}
