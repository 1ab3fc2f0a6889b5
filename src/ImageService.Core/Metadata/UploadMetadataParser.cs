using System.Text.Json;
using System.Text.RegularExpressions;
using ImageService.Core.Processing;

namespace ImageService.Core.Metadata;

/// <summary>
/// Reads the <c>metadata</c> JSON of an upload and applies the rules: <c>user_id</c> required, caption length,
/// tag normalisation, caption hashtags counted as tags. Unknown fields are ignored. Every violation is a
/// 400 whose message names the field and says what to send instead.
/// </summary>
public static partial class UploadMetadataParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    /// <summary>Parses and checks the metadata; <paramref name="defaultUserId"/> stands in for a missing <c>user_id</c>
    /// (the signed-in user, when there is one).</summary>
    public static UploadMetadata Parse(string? json, string? defaultUserId = null)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw ImageServiceException.Invalid(
                "The 'metadata' form field is empty. Send a JSON object such as {\"user_id\":\"123\",\"caption\":\"Beach vibes\",\"tags\":[\"travel\"]}.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Options);
        }
        catch (JsonException e)
        {
            throw ImageServiceException.Invalid(
                $"The 'metadata' form field is not valid JSON ({e.Message.Split(". ")[0]}). Send a JSON object such as {{\"user_id\":\"123\"}}.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw ImageServiceException.Invalid($"'metadata' must be a JSON object, not {Describe(root.ValueKind)}.");
            }

            var userId = defaultUserId is not null && IsAbsent(root, "user_id") ? defaultUserId : ReadUserId(root);
            var caption = ReadCaption(root);
            var tags = ReadTags(root, caption);
            return new UploadMetadata(userId, caption, tags, ReadAltText(root));
        }
    }

    /// <summary>Checks a user id given anywhere (metadata or a list filter).</summary>
    public static bool IsValidUserId(string userId) =>
        userId.Length is > 0 and <= UploadLimits.MaxUserIdLength && UserIdPattern().IsMatch(userId);

    private static bool IsAbsent(JsonElement root, string property) =>
        !root.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null;

    private static string ReadUserId(JsonElement root)
    {
        if (!root.TryGetProperty("user_id", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            throw ImageServiceException.Invalid("'metadata.user_id' is required: the id of the user who posts the image, e.g. \"123\".");
        }

        // Numbers are accepted because many clients send numeric ids; they are stored as their digits.
        var userId = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!,
            JsonValueKind.Number when element.TryGetInt64(out var number) && number >= 0 => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw ImageServiceException.Invalid(
                $"'metadata.user_id' must be a string (or a non-negative whole number), not {(element.ValueKind == JsonValueKind.Number ? "a negative or fractional number" : Describe(element.ValueKind))}."),
        };

        if (!IsValidUserId(userId))
        {
            throw ImageServiceException.Invalid(
                $"'metadata.user_id' must be 1–{UploadLimits.MaxUserIdLength} characters of letters, digits, '-', '_' or '.'.");
        }

        return userId;
    }

    private static string ReadCaption(JsonElement root)
    {
        if (!root.TryGetProperty("caption", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return "";
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            throw ImageServiceException.Invalid($"'metadata.caption' must be a string, not {Describe(element.ValueKind)}.");
        }

        var caption = element.GetString()!.Trim();
        var length = caption.EnumerateRunes().Count();
        if (length > UploadLimits.MaxCaptionLength)
        {
            throw ImageServiceException.Invalid(
                $"'metadata.caption' has {length} characters; the limit is {UploadLimits.MaxCaptionLength}.");
        }

        if (caption.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            throw ImageServiceException.Invalid("'metadata.caption' contains control characters; only line breaks and tabs are allowed.");
        }

        return caption;
    }

    /// <summary>A description of the image for people who cannot see it: trimmed, empty meaning none.</summary>
    private static string? ReadAltText(JsonElement root)
    {
        if (!root.TryGetProperty("alt_text", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            throw ImageServiceException.Invalid($"'metadata.alt_text' must be a string, not {Describe(element.ValueKind)}.");
        }

        var altText = element.GetString()!.Trim();
        var length = altText.EnumerateRunes().Count();
        if (length > UploadLimits.MaxAltTextLength)
        {
            throw ImageServiceException.Invalid(
                $"'metadata.alt_text' has {length} characters; the limit is {UploadLimits.MaxAltTextLength}. Describe what the image shows in a sentence or two.");
        }

        if (altText.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            throw ImageServiceException.Invalid("'metadata.alt_text' contains control characters; only line breaks and tabs are allowed.");
        }

        return altText.Length == 0 ? null : altText;
    }

    private static List<string> ReadTags(JsonElement root, string caption)
    {
        var tags = new List<string>();
        if (root.TryGetProperty("tags", out var element) && element.ValueKind != JsonValueKind.Null)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                throw ImageServiceException.Invalid(
                    $"'metadata.tags' must be an array of strings such as [\"travel\",\"beach\"], not {Describe(element.ValueKind)}.");
            }

            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw ImageServiceException.Invalid($"'metadata.tags[{index}]' must be a string, not {Describe(item.ValueKind)}.");
                }

                var tag = Tags.Normalize(item.GetString()!) ?? throw ImageServiceException.Invalid(
                    $"'metadata.tags[{index}]' is not a valid tag: a tag is 1–{UploadLimits.MaxTagLength} letters, digits or underscores, optionally starting with '#'.");
                tags.Add(tag);
                index++;
            }
        }

        var distinct = tags.Concat(Tags.FromCaption(caption)).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > UploadLimits.MaxTags)
        {
            throw ImageServiceException.Invalid(
                $"The image has {distinct.Count} distinct tags (counting hashtags in the caption); the limit is {UploadLimits.MaxTags}.");
        }

        return distinct;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    [GeneratedRegex(@"^[A-Za-z0-9._-]+\z")]
    private static partial Regex UserIdPattern();
}
