using System.Text.Json;
using ImageService.Core.Images;

namespace ImageService.Core.Metadata;

/// <summary>
/// A JSON merge patch (RFC 7396) of an image's editable fields, validated: each field is either absent (unchanged) or
/// the new value, where null removes it (no caption, no tags, no alt text). The tags are as sent, normalised; the
/// caption's hashtags are added when the patch is applied, because they depend on the caption the image ends with.
/// </summary>
public sealed record ImageEdit(Optional<string> Caption, Optional<IReadOnlyList<string>> Tags, Optional<string?> AltText)
{
    /// <summary>The fields a patch may change, as the API names them.</summary>
    public static readonly string[] EditableFields = ["caption", "tags", "alt_text"];

    /// <summary>A member sent twice is refused, not taken from its last copy: a patch must say one thing.</summary>
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8, AllowDuplicateProperties = false };

    /// <summary>Parses and checks a patch document; every violation is a 400 that names the field.</summary>
    public static ImageEdit Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Options);
        }
        catch (JsonException e)
        {
            throw ImageServiceException.Invalid(
                $"The body is not valid JSON ({e.Message.Split(". ")[0]}). Send an object with the fields to change, such as {{\"caption\":\"Sunset #beach\"}}.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw ImageServiceException.Invalid(
                    $"The body must be a JSON object with the fields to change, not {UploadMetadataParser.Describe(root.ValueKind)}.");
            }

            Optional<string> caption = default;
            Optional<IReadOnlyList<string>> tags = default;
            Optional<string?> altText = default;
            foreach (var field in root.EnumerateObject())
            {
                var value = field.Value;
                var removed = value.ValueKind == JsonValueKind.Null;
                switch (field.Name)
                {
                    case "caption":
                        caption = new(removed ? "" : UploadMetadataParser.Caption(value, "caption"));
                        break;
                    case "tags":
                        tags = new(removed ? [] : UploadMetadataParser.TagList(value, "tags"));
                        break;
                    case "alt_text":
                        altText = new(removed ? null : UploadMetadataParser.AltText(value, "alt_text"));
                        break;
                    default:
                        throw ImageServiceException.Invalid(NotEditable(field.Name));
                }
            }

            return new ImageEdit(caption, tags, altText);
        }
    }

    /// <summary>The record with this patch applied: the same record when the patch changes nothing. The caption's
    /// hashtags are always among the tags, as on upload, so a hashtag can only leave the tags with the caption.</summary>
    public ImageRecord Apply(ImageRecord record)
    {
        var caption = Caption.Or(record.Caption);
        var tags = UploadMetadataParser.WithCaptionTags(Tags.Or(record.Tags), caption);
        var altText = AltText.Or(record.AltText);
        return caption == record.Caption && tags.SequenceEqual(record.Tags, StringComparer.Ordinal) && altText == record.AltText
            ? record
            : record with { Caption = caption, Tags = tags, AltText = altText };
    }

    private static string NotEditable(string field)
    {
        var shown = field.Length <= 40 ? field : field[..40] + "…";
        return $"'{shown}' cannot be changed: a PATCH may change only {string.Join(", ", EditableFields)}.";
    }
}

/// <summary>A value that may be absent, as distinct from present and null.</summary>
public readonly record struct Optional<T>(T Value)
{
    public bool IsSet { get; } = true;

    public T Or(T fallback) => IsSet ? Value : fallback;
}
