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
    internal static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

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
            JsonValueKind.String => Text(element, "metadata.user_id"),
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

    private static string ReadCaption(JsonElement root) =>
        root.TryGetProperty("caption", out var element) && element.ValueKind != JsonValueKind.Null ? Caption(element, "metadata.caption") : "";

    private static string? ReadAltText(JsonElement root) =>
        root.TryGetProperty("alt_text", out var element) && element.ValueKind != JsonValueKind.Null ? AltText(element, "metadata.alt_text") : null;

    private static List<string> ReadTags(JsonElement root, string caption) =>
        WithCaptionTags(root.TryGetProperty("tags", out var element) && element.ValueKind != JsonValueKind.Null ? TagList(element, "metadata.tags") : [], caption);

    /// <summary>A caption, trimmed; <paramref name="name"/> is how the field is called in the message of a violation.</summary>
    internal static string Caption(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw ImageServiceException.Invalid($"'{name}' must be a string, not {Describe(element.ValueKind)}.");
        }

        var caption = Text(element, name).Trim();
        var length = caption.EnumerateRunes().Count();
        if (length > UploadLimits.MaxCaptionLength)
        {
            throw ImageServiceException.Invalid($"'{name}' has {length} characters; the limit is {UploadLimits.MaxCaptionLength}.");
        }

        RefuseControlCharacters(caption, name);
        return caption;
    }

    /// <summary>A description of the image for people who cannot see it: trimmed, empty meaning none.</summary>
    internal static string? AltText(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw ImageServiceException.Invalid($"'{name}' must be a string, not {Describe(element.ValueKind)}.");
        }

        var altText = Text(element, name).Trim();
        var length = altText.EnumerateRunes().Count();
        if (length > UploadLimits.MaxAltTextLength)
        {
            throw ImageServiceException.Invalid(
                $"'{name}' has {length} characters; the limit is {UploadLimits.MaxAltTextLength}. Describe what the image shows in a sentence or two.");
        }

        RefuseControlCharacters(altText, name);
        return altText.Length == 0 ? null : altText;
    }

    /// <summary>The tags of an array, normalised, in order (not yet de-duplicated or counted).</summary>
    internal static List<string> TagList(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw ImageServiceException.Invalid($"'{name}' must be an array of strings such as [\"travel\",\"beach\"], not {Describe(element.ValueKind)}.");
        }

        var tags = new List<string>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw ImageServiceException.Invalid($"'{name}[{index}]' must be a string, not {Describe(item.ValueKind)}.");
            }

            var tag = Tags.Normalize(Text(item, $"{name}[{index}]")) ?? throw ImageServiceException.Invalid(
                $"'{name}[{index}]' is not a valid tag: a tag is 1–{UploadLimits.MaxTagLength} letters, digits or underscores, optionally starting with '#'.");
            tags.Add(tag);
            index++;
        }

        return tags;
    }

    /// <summary>The tags with the caption's hashtags added, each once, in order; refused when there are too many.</summary>
    internal static List<string> WithCaptionTags(IEnumerable<string> tags, string caption)
    {
        var distinct = tags.Concat(Tags.FromCaption(caption)).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > UploadLimits.MaxTags)
        {
            throw ImageServiceException.Invalid(
                $"The image has {distinct.Count} distinct tags (counting hashtags in the caption); the limit is {UploadLimits.MaxTags}.");
        }

        return distinct;
    }

    /// <summary>The string a JSON string holds; one that escapes half of a UTF-16 surrogate pair holds no text.</summary>
    private static string Text(JsonElement element, string name)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ImageServiceException.Invalid($"'{name}' is not valid text: it holds half of a UTF-16 surrogate pair (an escape such as \\ud83d with no partner).");
        }
    }

    private static void RefuseControlCharacters(string text, string name)
    {
        if (text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            throw ImageServiceException.Invalid($"'{name}' contains control characters; only line breaks and tabs are allowed.");
        }
    }

    internal static string Describe(JsonValueKind kind) => kind switch
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
