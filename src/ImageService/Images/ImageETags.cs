using ImageService.Core;
using ImageService.Core.Images;

namespace ImageService.Images;

/// <summary>
/// The ETag of an image names the version of its editable fields (<c>"v3"</c>), not the bytes of an answer: every
/// answer carries freshly signed links, so no two are alike, but the image they describe is the same until an edit.
/// <c>If-Match</c> is compared strongly (RFC 9110 §13.1.1): a weak tag never matches, <c>*</c> matches any image.
/// </summary>
internal static class ImageETags
{
    public static string Of(ImageRecord record) => $"\"v{record.Version}\"";

    /// <summary>Whether a version satisfies the request's <c>If-Match</c>; null when the request has none.</summary>
    public static Func<long, bool>? Precondition(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("If-Match", out var headers) || headers.Count == 0)
        {
            return null;
        }

        var versions = new HashSet<long>();
        foreach (var tag in headers.SelectMany(h => (h ?? "").Split(',')).Select(t => t.Trim()).Where(t => t.Length > 0))
        {
            if (tag == "*")
            {
                return _ => true;
            }

            if (tag.StartsWith("W/\"", StringComparison.Ordinal) && tag.EndsWith('"'))
            {
                continue; // weak: never matches under strong comparison
            }

            if (tag.Length < 4 || !tag.StartsWith("\"v", StringComparison.Ordinal) || !tag.EndsWith('"')
                || !long.TryParse(tag.AsSpan(2, tag.Length - 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
            {
                throw ImageServiceException.Invalid(
                    $"If-Match holds '{(tag.Length <= 40 ? tag : tag[..40] + "…")}', which is not an ETag this service gives. Send the ETag header of GET /images/{{image_id}} as it came, quotes included, e.g. If-Match: \"v3\".");
            }

            versions.Add(version);
        }

        return versions.Contains;
    }
}
