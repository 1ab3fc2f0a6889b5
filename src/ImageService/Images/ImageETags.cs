using ImageService.Core;
using ImageService.Core.Images;

namespace ImageService.Images;

/// <summary>
/// The ETag of an image names the version of its editable fields (<c>"v3"</c>), not the bytes of an answer: every
/// answer carries freshly signed links, so no two are alike, but the image they describe is the same until an edit.
/// <c>If-Match</c> is compared strongly (RFC 9110 §13.1.1), character for character: a weak tag never matches, <c>*</c>
/// matches any image.
/// </summary>
internal static class ImageETags
{
    public static string Of(ImageRecord record) => Of(record.Version);

    private static string Of(long version) => $"\"v{version}\"";

    /// <summary>Whether a version satisfies the request's <c>If-Match</c>; null when the request has none.</summary>
    public static Func<long, bool>? Precondition(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("If-Match", out var headers) || headers.Count == 0)
        {
            return null;
        }

        var strong = new HashSet<string>(StringComparer.Ordinal);
        var any = false;
        var count = 0;
        foreach (var tag in headers.SelectMany(h => (h ?? "").Split(',')).Select(t => t.Trim(' ', '\t')).Where(t => t.Length > 0))
        {
            count++;
            if (tag == "*")
            {
                any = true;
            }
            else if (IsEntityTag(tag, out var weak))
            {
                if (!weak)
                {
                    strong.Add(tag); // a weak tag never matches under strong comparison
                }
            }
            else
            {
                throw ImageServiceException.Invalid(
                    $"If-Match holds '{(tag.Length <= 40 ? tag : tag[..40] + "…")}', which is not an ETag. Send the ETag header of GET /images/{{image_id}} as it came, quotes included, e.g. If-Match: \"v3\".");
            }
        }

        if (count == 0)
        {
            throw ImageServiceException.Invalid("If-Match is empty. Send the ETag of the version you read, e.g. If-Match: \"v3\", or leave the header out.");
        }

        return any ? _ => true : version => strong.Contains(Of(version));
    }

    /// <summary>RFC 9110's entity-tag: an optional <c>W/</c>, then quoted characters other than the quote itself.</summary>
    private static bool IsEntityTag(string tag, out bool weak)
    {
        weak = tag.StartsWith("W/", StringComparison.Ordinal);
        var quoted = weak ? tag[2..] : tag;
        return quoted.Length >= 2 && quoted[0] == '"' && quoted[^1] == '"'
            && quoted[1..^1].All(c => c == 0x21 || c is >= (char)0x23 and <= (char)0x7E || c >= 0x80);
    }
}
