using System.Text.Json.Serialization;
using ImageService.Core.Images;

namespace ImageService.Images;

/// <summary>One image in full: the record, a download link for every variant, and when the links expire.</summary>
public sealed record ImageResponse(
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
    Uri Url,
    Uri ThumbnailUrl,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<VariantResponse> Variants)
{
    /// <summary>A description of the image for people who cannot see it; null when there is none.</summary>
    public string? AltText { get; init; }

    /// <summary>A ThumbHash (base64) to paint, in a box of <see cref="Width"/> × <see cref="Height"/>, before the pixels arrive.</summary>
    public string? Placeholder { get; init; }

    /// <summary>The image's dominant colour, <c>#rrggbb</c>.</summary>
    public string? DominantColor { get; init; }

    /// <summary>When the caption, tags or alt text last changed (<see cref="CreatedAt"/> until the first edit).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The version of the caption, tags and alt text, as in the ETag header.</summary>
    public long Version { get; init; }

    /// <summary>Set on upload responses only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(-1)]
    public string? Message { get; init; }

    public static ImageResponse From(SignedImage image, Uri baseUri)
    {
        var r = image.Record;
        return new ImageResponse(r.ImageId, r.UserId, r.Caption, r.Tags, r.CreatedAt, r.Width, r.Height, r.ContentType, r.SizeBytes, r.Sha256,
            new Uri(baseUri, image.Url), new Uri(baseUri, image.ThumbnailUrl), image.ExpiresAt,
            [.. r.Variants.Select(v => new VariantResponse(v.Name, v.ContentType, v.Width, v.Height, v.SizeBytes, new Uri(baseUri, image.Urls[v.Name])))])
        {
            AltText = r.AltText,
            Placeholder = r.Placeholder,
            DominantColor = r.DominantColor,
            UpdatedAt = r.UpdatedAt,
            Version = r.Version,
        };
    }
}

/// <summary>One stored rendition of an image and its download link.</summary>
public sealed record VariantResponse(string Name, string ContentType, int Width, int Height, long SizeBytes, Uri Url);

/// <summary>An image in a list: the fields of the original specification plus size and a thumbnail link.</summary>
public sealed record ImageSummaryResponse(
    Guid ImageId,
    string UserId,
    string Caption,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    int Width,
    int Height,
    string ContentType,
    Uri Url,
    Uri ThumbnailUrl,
    string? AltText,
    string? Placeholder,
    string? DominantColor)
{
    public static ImageSummaryResponse From(SignedImage image, Uri baseUri)
    {
        var r = image.Record;
        return new ImageSummaryResponse(r.ImageId, r.UserId, r.Caption, r.Tags, r.CreatedAt, r.Width, r.Height, r.ContentType,
            new Uri(baseUri, image.Url), new Uri(baseUri, image.ThumbnailUrl), r.AltText, r.Placeholder, r.DominantColor);
    }
}

public sealed record MessageResponse(string Message);

/// <summary>Describes the body of PATCH /images/{image_id} for the OpenAPI document: a JSON merge patch in which a
/// missing field stays as it is and null removes it.</summary>
public sealed record ImageEditDescription(string? Caption, IReadOnlyList<string>? Tags, string? AltText);

/// <summary>Describes the upload form for the OpenAPI document; the endpoint reads the body itself, streaming.</summary>
public sealed record UploadFormDescription(IFormFile File, string Metadata);
